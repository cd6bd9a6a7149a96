// Preloaded into the measured kubesmith process (node --import): reports its own peak RSS on exit.
process.on('exit', () => {
  process.stderr.write(`\nKUBESMITH_BENCH maxRSS_kB=${process.resourceUsage().maxRSS}\n`);
});
