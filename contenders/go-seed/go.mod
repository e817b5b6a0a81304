module primebench/contenders/go-seed

go 1.24
