module kubesmith/go-checker

go 1.23
