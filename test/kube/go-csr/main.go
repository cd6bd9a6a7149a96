// go-csr: Go's crypto/x509 view of kubelet CSRs, for kubesmith's tests.
//
//	go-csr make client|serving NODE [IP...]   prints a CSR made exactly as the kubelet's certificate
//	                                          manager makes it (fresh ECDSA P-256 key, CN/O template,
//	                                          x509.CreateCertificateRequest); "rsa-" prefix on the kind
//	                                          uses an RSA-2048 key instead.
//	go-csr inspect FILE.pem                   prints what Go (kube-apiserver, kube-controller-manager)
//	                                          sees in a CSR, as JSON, including CheckSignature.
package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"strings"
)

func main() {
	if len(os.Args) < 3 {
		fail("usage: go-csr make KIND NODE [IP...] | go-csr inspect FILE")
	}
	switch os.Args[1] {
	case "make":
		makeCSR(os.Args[2], os.Args[3], os.Args[4:])
	case "inspect":
		inspect(os.Args[2])
	default:
		fail("unknown verb " + os.Args[1])
	}
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, msg)
	os.Exit(2)
}

// makeCSR follows k8s.io/client-go/util/certificate (generateKeyFuncImpl: P-256) and
// pkg/kubelet/certificate (the serving template: DNSNames = hostname, IPAddresses = node IPs).
func makeCSR(kind, node string, ips []string) {
	var key crypto.Signer
	var err error
	if strings.HasPrefix(kind, "rsa-") {
		key, err = rsa.GenerateKey(rand.Reader, 2048)
		kind = strings.TrimPrefix(kind, "rsa-")
	} else {
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		fail(err.Error())
	}
	tmpl := &x509.CertificateRequest{Subject: pkix.Name{CommonName: "system:node:" + node, Organization: []string{"system:nodes"}}}
	if kind == "serving" {
		tmpl.DNSNames = []string{node}
		for _, ip := range ips {
			tmpl.IPAddresses = append(tmpl.IPAddresses, net.ParseIP(ip))
		}
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, tmpl, key)
	if err != nil {
		fail(err.Error())
	}
	_ = pem.Encode(os.Stdout, &pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
}

type view struct {
	CommonName     string   `json:"commonName"`
	Organizations  []string `json:"organizations"`
	DNSNames       []string `json:"dnsNames"`
	IPAddresses    []string `json:"ipAddresses"`
	Emails         []string `json:"emails"`
	URIs           []string `json:"uris"`
	PublicKey      string   `json:"publicKeyAlgorithm"`
	SignatureValid bool     `json:"signatureValid"`
}

func inspect(file string) {
	raw, err := os.ReadFile(file)
	if err != nil {
		fail(err.Error())
	}
	block, _ := pem.Decode(raw)
	if block == nil {
		fail("no PEM block")
	}
	csr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		fail("parse: " + err.Error())
	}
	v := view{CommonName: csr.Subject.CommonName, Organizations: csr.Subject.Organization, DNSNames: csr.DNSNames, Emails: csr.EmailAddresses}
	v.Organizations = append([]string{}, v.Organizations...)
	v.DNSNames = append([]string{}, v.DNSNames...)
	v.Emails = append([]string{}, v.Emails...)
	v.IPAddresses = []string{}
	for _, ip := range csr.IPAddresses {
		v.IPAddresses = append(v.IPAddresses, ip.String())
	}
	v.URIs = []string{}
	for _, u := range csr.URIs {
		v.URIs = append(v.URIs, u.String())
	}
	switch k := csr.PublicKey.(type) {
	case *ecdsa.PublicKey:
		v.PublicKey = "ecdsa-p" + strings.TrimPrefix(k.Curve.Params().Name, "P-")
	case *rsa.PublicKey:
		v.PublicKey = fmt.Sprintf("rsa-%d", k.N.BitLen())
	default:
		v.PublicKey = "unknown"
	}
	v.SignatureValid = csr.CheckSignature() == nil
	out, _ := json.Marshal(v)
	fmt.Println(string(out))
}
