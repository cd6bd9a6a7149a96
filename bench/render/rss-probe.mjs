// Preloaded into the measured kubesmith process (node --import): reports its own peak RSS and CPU
// time (user + system, which a busy machine inflates far less than wall time) on exit.
process.on('exit', () => {
  const u = process.resourceUsage();
  process.stderr.write(`\nKUBESMITH_BENCH maxRSS_kB=${u.maxRSS} cpu_us=${u.userCPUTime + u.systemCPUTime}\n`);
});
