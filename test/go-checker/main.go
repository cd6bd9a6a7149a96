// Command go-checker parses kubesmith-issued certificates and keys with Go's crypto/x509 (the parser
// kube-apiserver, the kubelet and etcd use) and verifies each chain, EKU, hostname and key pair.
// Usage: go-checker MANIFEST.json  (stdlib only; see test/pki/go-checker.test.ts)
package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"os"
)

type entry struct {
	ID     string   `json:"id"`
	Cert   string   `json:"cert"`
	Key    string   `json:"key"`
	CA     string   `json:"ca"`
	Usages []string `json:"usages"`
	DNS    []string `json:"dns"`
	IPs    []string `json:"ips"`
	IsCA   bool     `json:"isCA"`
}

type manifest struct {
	Entries []entry `json:"entries"`
	SAKey   string  `json:"saKey"`
	SAPub   string  `json:"saPub"`
}

func parseCert(path string) (*x509.Certificate, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(raw)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("%s: no CERTIFICATE block", path)
	}
	return x509.ParseCertificate(block.Bytes)
}

func parseCerts(path string) ([]*x509.Certificate, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []*x509.Certificate
	for {
		var block *pem.Block
		block, raw = pem.Decode(raw)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("%s: unexpected %s block", path, block.Type)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no CERTIFICATE block", path)
	}
	return out, nil
}

func parseKey(path string) (string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	block, _ := pem.Decode(raw)
	if block == nil {
		return "", fmt.Errorf("%s: no PEM block", path)
	}
	switch block.Type {
	case "RSA PRIVATE KEY":
		_, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		_, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		err = fmt.Errorf("unexpected key type %q", block.Type)
	}
	return block.Type, err
}

var ekus = map[string]x509.ExtKeyUsage{"serverAuth": x509.ExtKeyUsageServerAuth, "clientAuth": x509.ExtKeyUsageClientAuth}

func check(e entry) error {
	cert, err := parseCert(e.Cert)
	if err != nil {
		return fmt.Errorf("parse cert: %w", err)
	}
	if _, err := parseKey(e.Key); err != nil {
		return fmt.Errorf("parse key: %w", err)
	}
	certPEM, _ := os.ReadFile(e.Cert)
	keyPEM, _ := os.ReadFile(e.Key)
	if _, err := tls.X509KeyPair(certPEM, keyPEM); err != nil {
		return fmt.Errorf("key pair: %w", err)
	}
	if cert.IsCA != e.IsCA || !cert.BasicConstraintsValid {
		return fmt.Errorf("IsCA=%v BasicConstraintsValid=%v, want IsCA=%v", cert.IsCA, cert.BasicConstraintsValid, e.IsCA)
	}
	roots := x509.NewCertPool()
	caPath := e.CA
	if e.IsCA {
		caPath = e.Cert
	}
	ca, err := parseCert(caPath)
	if err != nil {
		return fmt.Errorf("parse CA: %w", err)
	}
	// A trust bundle (a CA being rotated: old + new in one file) adds every certificate in it;
	// the leaf's AKI must name one of them.
	bundle, err := parseCerts(caPath)
	if err != nil {
		return fmt.Errorf("parse CA bundle: %w", err)
	}
	for _, c := range bundle {
		roots.AddCert(c)
		if len(bundle) > 1 && string(c.SubjectKeyId) == string(cert.AuthorityKeyId) {
			ca = c
		}
	}
	if e.IsCA {
		if cert.KeyUsage != x509.KeyUsageDigitalSignature|x509.KeyUsageKeyEncipherment|x509.KeyUsageCertSign {
			return fmt.Errorf("CA KeyUsage=%d", cert.KeyUsage)
		}
		if len(cert.SubjectKeyId) == 0 {
			return fmt.Errorf("CA has no SubjectKeyId")
		}
		_, err := cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
		return err
	}
// Chain first: what kube components do; then kubeadm's AKI = CA SKI encoding rule.
	for _, u := range e.Usages {
		if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{ekus[u]}}); err != nil {
			return fmt.Errorf("verify for %s: %w", u, err)
		}
	}
	if string(cert.AuthorityKeyId) != string(ca.SubjectKeyId) {
		return fmt.Errorf("AKI %x != CA SKI %x", cert.AuthorityKeyId, ca.SubjectKeyId)
	}
	for _, h := range append(append([]string{}, e.DNS...), e.IPs...) {
		if err := cert.VerifyHostname(h); err != nil {
			return fmt.Errorf("hostname %s: %w", h, err)
		}
	}
	for _, ip := range e.IPs {
		if net.ParseIP(ip) == nil {
			return fmt.Errorf("bad IP in manifest %s", ip)
		}
	}
	return nil
}

func main() {
	raw, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var m manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	failed := 0
	for _, e := range m.Entries {
		if err := check(e); err != nil {
			failed++
			fmt.Printf("FAIL %s: %v\n", e.ID, err)
		} else {
			fmt.Printf("OK %s\n", e.ID)
		}
	}
	if m.SAKey != "" {
		if _, err := parseKey(m.SAKey); err != nil {
			failed++
			fmt.Printf("FAIL sa.key: %v\n", err)
		} else {
			fmt.Println("OK sa.key")
		}
		pubRaw, _ := os.ReadFile(m.SAPub)
		block, _ := pem.Decode(pubRaw)
		if block == nil || block.Type != "PUBLIC KEY" {
			failed++
			fmt.Println("FAIL sa.pub: no PUBLIC KEY block")
		} else if _, err := x509.ParsePKIXPublicKey(block.Bytes); err != nil {
			failed++
			fmt.Printf("FAIL sa.pub: %v\n", err)
		} else {
			fmt.Println("OK sa.pub")
		}
	}
	if failed > 0 {
		os.Exit(1)
	}
}
