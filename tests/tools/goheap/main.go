// Writes Go heap profiles for the pprof comparison suite:
//
//	goheap -rate N -frees=BOOL -heap FILE -allocs FILE
//
// rate 0 keeps the runtime's default MemProfileRate.
package main

import (
	"flag"
	"os"
	"runtime"
	"runtime/pprof"
)

var sink [][]byte

type table struct{ rows [][]byte }

//go:noinline
func (t *table) grow(n int) {
	for i := 0; i < n; i++ {
		t.rows = append(t.rows, make([]byte, 512+i%3*256))
	}
}

// small is inlined into its callers, so its frames are inline frames.
func small(n int) []byte { return make([]byte, n) }

//go:noinline
func allocSmall(n int) {
	for i := 0; i < n; i++ {
		sink = append(sink, small(48+i%5*8))
	}
}

//go:noinline
func allocBig(n int) {
	for i := 0; i < n; i++ {
		sink = append(sink, make([]byte, 64<<10))
	}
}

func mapOf[K comparable, V any](n int, k func(int) K, v V) map[K]V {
	m := make(map[K]V)
	for i := 0; i < n; i++ {
		m[k(i)] = v
	}
	return m
}

var keep []interface{}

func main() {
	rate := flag.Int("rate", 0, "runtime.MemProfileRate, 0 for the default")
	frees := flag.Bool("frees", false, "drop most allocations before writing")
	heap := flag.String("heap", "", "heap profile to write")
	allocs := flag.String("allocs", "", "allocs profile to write")
	flag.Parse()
	if *rate != 0 {
		runtime.MemProfileRate = *rate
	}
	t := &table{}
	t.grow(3000)
	allocSmall(20000)
	allocBig(200)
	keep = append(keep, mapOf(5000, func(i int) int { return i }, "x"))
	func() {
		for i := 0; i < 1000; i++ {
			keep = append(keep, make([]int, 100))
		}
	}()
	if *frees {
		sink = sink[:len(sink)/10]
		t.rows = nil
		keep = keep[:1]
	}
	runtime.GC()
	write := func(name, path string) {
		if path == "" {
			return
		}
		f, err := os.Create(path)
		if err != nil {
			panic(err)
		}
		if err := pprof.Lookup(name).WriteTo(f, 0); err != nil {
			panic(err)
		}
		f.Close()
	}
	write("heap", *heap)
	write("allocs", *allocs)
	runtime.KeepAlive(t)
}
