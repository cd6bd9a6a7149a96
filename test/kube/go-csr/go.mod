module kubesmith/go-csr

go 1.23
