// The article's Go server, as docs/ARTICLE-SERVERS.md describes it: net/http with the
// default mux, strconv.Atoi with a fall-back to 10000 on any error, int (64-bit)
// arithmetic, and json.NewEncoder(w).Encode of a map (sorted keys, trailing
// newline). Every request runs in its own goroutine. Only HOST/PORT come from the
// environment (the article listened on :8080).
package main

import (
	"encoding/json"
	"log"
	"math"
	"net"
	"net/http"
	"os"
	"strconv"
)

func isPrime(num int) bool {
	s := int(math.Sqrt(float64(num)))
	for i := 2; i <= s; i++ {
		if num%i == 0 {
			return false
		}
	}
	return num > 1
}

func findNthPrime(n int) int {
	count := 0
	num := 2
	for count < n {
		if isPrime(num) {
			count++
		}
		num++
	}
	return num - 1
}

func primeHandler(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(r.URL.Query().Get("n"))
	if err != nil {
		n = 10000
	}
	result := findNthPrime(n)
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]int{"n": n, "prime": result})
}

func getenv(key, fallback string) string {
	if value, ok := os.LookupEnv(key); ok && value != "" {
		return value
	}
	return fallback
}

func main() {
	http.HandleFunc("/prime", primeHandler)
	addr := net.JoinHostPort(getenv("HOST", "127.0.0.1"), getenv("PORT", "8080"))
	log.Printf("go-seed listening on http://%s", addr)
	log.Fatal(http.ListenAndServe(addr, nil))
}
