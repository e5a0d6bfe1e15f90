// Command testkit is the workload of the offline-kind acceptance test: a tiny HTTP server plus the
// client-side checks the test runs inside pods. It runs as a non-root user on a read-only root
// filesystem, so the test can deploy it under the "restricted" Pod Security level.
//
//	testkit serve [-addr :8080] [-file /data/greeting]   answers GET / with the hostname and the file's content
//	testkit get [-timeout 3s] URL                        prints the body; exit 1 on any failure or non-2xx status
//	testkit lookup NAME                                  prints the resolved addresses; exit 1 if none
//	testkit write PATH CONTENT                           writes a file (for the PersistentVolume check)
//	testkit cat PATH                                     prints a file
//	testkit sleep                                        waits for SIGTERM (a pod to exec into)
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fail("usage: testkit serve|get|lookup|write|cat|sleep ...")
	}
	args := os.Args[2:]
	switch os.Args[1] {
	case "serve":
		serve(args)
	case "get":
		get(args)
	case "lookup":
		lookup(args)
	case "write":
		if len(args) != 2 {
			fail("usage: testkit write PATH CONTENT")
		}
		check(os.WriteFile(args[0], []byte(args[1]), 0o644))
	case "cat":
		if len(args) != 1 {
			fail("usage: testkit cat PATH")
		}
		b, err := os.ReadFile(args[0])
		check(err)
		os.Stdout.Write(b)
	case "sleep":
		waitForSignal(context.Background())
	default:
		fail("unknown command " + os.Args[1])
	}
}

func serve(args []string) {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	addr := fs.String("addr", ":8080", "listen address")
	file := fs.String("file", "", "optional file whose content is appended to every answer")
	check(fs.Parse(args))
	host, _ := os.Hostname()
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "hello from %s\n", host)
		if *file != "" {
			if b, err := os.ReadFile(*file); err == nil {
				w.Write(b)
			}
		}
	})
	srv := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		waitForSignal(context.Background())
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}()
	if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		fail(err.Error())
	}
}

func get(args []string) {
	fs := flag.NewFlagSet("get", flag.ExitOnError)
	timeout := fs.Duration("timeout", 3*time.Second, "whole-request timeout")
	check(fs.Parse(args))
	if fs.NArg() != 1 {
		fail("usage: testkit get [-timeout 3s] URL")
	}
	client := &http.Client{Timeout: *timeout}
	resp, err := client.Get(fs.Arg(0))
	check(err)
	defer resp.Body.Close()
	io.Copy(os.Stdout, resp.Body)
	if resp.StatusCode/100 != 2 {
		fail(fmt.Sprintf("HTTP %d", resp.StatusCode))
	}
}

func lookup(args []string) {
	if len(args) != 1 {
		fail("usage: testkit lookup NAME")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupHost(ctx, args[0])
	check(err)
	for _, a := range addrs {
		fmt.Println(a)
	}
}

func waitForSignal(ctx context.Context) {
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	<-ctx.Done()
}

func check(err error) {
	if err != nil {
		fail(err.Error())
	}
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "testkit:", msg)
	os.Exit(1)
}
