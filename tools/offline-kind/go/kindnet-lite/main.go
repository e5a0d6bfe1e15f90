// Command kindnet-lite is the offline kind node's network agent, one per node (DaemonSet, host network).
//
// It does what kind's default CNI (kindnetd) does, in the smallest form we need:
//   - writes the CNI config for this node's podCIDR (ptp + host-local + portmap), so pods get addresses;
//   - routes every other node's podCIDR via that node's InternalIP (multi-node clusters);
//   - masquerades pod traffic leaving the pod network;
//   - enforces NetworkPolicy (networking.k8s.io/v1) with iptables, see netpol.go.
//
// Why not kindnetd itself: sigs.k8s.io/kind/images/kindnetd is not published on the Go module proxy,
// and its NetworkPolicy engine (sigs.k8s.io/kube-network-policies) queues packets with the nftables
// "queue" expression, which needs CONFIG_NFT_QUEUE: our CI kernel does not have it.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
)

var (
	nodeName   = flag.String("node-name", os.Getenv("NODE_NAME"), "this node's name")
	cniDir     = flag.String("cni-conf-dir", "/etc/cni/net.d", "where the CNI config is written")
	mtu        = flag.Int("mtu", 0, "pod interface MTU (0: the node's default route interface MTU)")
	resyncTime = flag.Duration("resync", 30*time.Second, "full resync period")
)

const cniFile = "10-kindnet-lite.conflist"

func main() {
	klog.InitFlags(nil)
	flag.Parse()
	if *nodeName == "" {
		klog.Fatal("--node-name or NODE_NAME is required")
	}
	cfg, err := rest.InClusterConfig()
	if err != nil {
		klog.Fatalf("in-cluster config: %v", err)
	}
	client := kubernetes.NewForConfigOrDie(cfg)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	factory := informers.NewSharedInformerFactory(client, *resyncTime)
	nodes := factory.Core().V1().Nodes()
	pods := factory.Core().V1().Pods()
	namespaces := factory.Core().V1().Namespaces()
	policies := factory.Networking().V1().NetworkPolicies()

	// Any change wakes the sync loop; bursts are coalesced.
	wake := make(chan struct{}, 1)
	notify := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { poke(wake) },
		UpdateFunc: func(any, any) { poke(wake) },
		DeleteFunc: func(any) { poke(wake) },
	}
	for _, inf := range []cache.SharedIndexInformer{nodes.Informer(), pods.Informer(), namespaces.Informer(), policies.Informer()} {
		if _, err := inf.AddEventHandler(notify); err != nil {
			klog.Fatalf("event handler: %v", err)
		}
	}
	factory.Start(ctx.Done())
	factory.WaitForCacheSync(ctx.Done())
	klog.Infof("kindnet-lite started on node %s", *nodeName)

	np := &netpol{node: *nodeName, pods: pods.Lister(), namespaces: namespaces.Lister(), policies: policies.Lister()}
	ticker := time.NewTicker(*resyncTime)
	defer ticker.Stop()
	for {
		nodeList, err := nodes.Lister().List(labels.Everything())
		if err == nil {
			if err := syncNetwork(nodeList); err != nil {
				klog.Errorf("network: %v", err)
			}
		}
		if err := np.sync(); err != nil {
			klog.Errorf("network policy: %v", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-wake:
			time.Sleep(100 * time.Millisecond) // let a burst of events settle
		case <-ticker.C:
		}
	}
}

func poke(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// syncNetwork writes this node's CNI config, routes the other nodes' pod ranges and masquerades.
func syncNetwork(nodeList []*corev1.Node) error {
	var self *corev1.Node
	var podCIDRs []string
	for _, n := range nodeList {
		podCIDRs = append(podCIDRs, n.Spec.PodCIDRs...)
		if n.Name == *nodeName {
			self = n
		}
	}
	if self == nil || len(self.Spec.PodCIDRs) == 0 {
		return fmt.Errorf("node %s has no podCIDR yet", *nodeName)
	}
	if err := writeCNIConfig(self.Spec.PodCIDRs); err != nil {
		return err
	}
	for _, n := range nodeList {
		if n.Name == *nodeName {
			continue
		}
		ip := internalIP(n)
		for _, cidr := range n.Spec.PodCIDRs {
			if ip == nil || isIPv6(cidr) != (ip.To4() == nil) {
				continue
			}
			if out, err := run("ip", "route", "replace", cidr, "via", ip.String()); err != nil {
				return fmt.Errorf("route %s via %s: %v: %s", cidr, ip, err, out)
			}
			if err := allowEgress(cidr); err != nil {
				return err
			}
		}
	}
	return syncMasquerade(podCIDRs)
}

func writeCNIConfig(cidrs []string) error {
	var ranges [][]map[string]string
	routes := []map[string]string{}
	for _, c := range cidrs {
		ranges = append(ranges, []map[string]string{{"subnet": c}})
		if isIPv6(c) {
			routes = append(routes, map[string]string{"dst": "::/0"})
		} else {
			routes = append(routes, map[string]string{"dst": "0.0.0.0/0"})
		}
	}
	ptp := map[string]any{
		"type": "ptp",
		"ipam": map[string]any{"type": "host-local", "dataDir": "/run/cni-ipam-state", "ranges": ranges, "routes": routes},
	}
	if m := podMTU(); m > 0 {
		ptp["mtu"] = m
	}
	conf := map[string]any{
		"cniVersion": "1.0.0",
		"name":       "kindnet-lite",
		"plugins":    []any{ptp, map[string]any{"type": "portmap", "capabilities": map[string]bool{"portMappings": true}}},
	}
	data, err := json.MarshalIndent(conf, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(*cniDir, cniFile)
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return nil
	}
	// Write then rename: the container runtime must never read a half-written file.
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	klog.Infof("writing CNI config for %v", cidrs)
	return os.Rename(tmp, path)
}

// podMTU is the MTU of the interface holding the default route, unless --mtu says otherwise.
func podMTU() int {
	if *mtu > 0 {
		return *mtu
	}
	out, err := run("ip", "-o", "route", "get", "1.1.1.1")
	if err != nil {
		return 0
	}
	f := strings.Fields(out)
	for i := 0; i+1 < len(f); i++ {
		if f[i] == "dev" {
			if ifc, err := net.InterfaceByName(f[i+1]); err == nil {
				return ifc.MTU
			}
		}
	}
	return 0
}

// syncMasquerade: traffic from a pod to anything outside the pod ranges leaves with the node's address.
func syncMasquerade(podCIDRs []string) error {
	sort.Strings(podCIDRs)
	var b strings.Builder
	b.WriteString("*nat\n:KINDNET-LITE-MASQ - [0:0]\n")
	for _, c := range podCIDRs {
		if !isIPv6(c) {
			fmt.Fprintf(&b, "-A KINDNET-LITE-MASQ -d %s -j RETURN\n", c)
		}
	}
	b.WriteString("-A KINDNET-LITE-MASQ -m addrtype ! --dst-type LOCAL -j MASQUERADE\nCOMMIT\n")
	if err := iptablesRestore(b.String()); err != nil {
		return err
	}
	for _, c := range podCIDRs {
		if !isIPv6(c) {
			if err := ensureJump("nat", "POSTROUTING", "-s", c, "-j", "KINDNET-LITE-MASQ"); err != nil {
				return err
			}
		}
	}
	return nil
}

// allowEgress lets pod traffic to another node's podCIDR through the node image's egress guard
// (chain OFFLINE-KIND-EGRESS, set up by the node entrypoint: only the Docker network may be reached
// through eth0, and other nodes' pods are reached through eth0 too).
func allowEgress(cidr string) error {
	ipt := "iptables"
	if isIPv6(cidr) {
		ipt = "ip6tables"
	}
	if _, err := run(ipt, "-w", "-n", "-L", egressGuardChain); err != nil {
		return nil // no guard on this node image
	}
	if _, err := run(ipt, "-w", "-C", egressGuardChain, "-d", cidr, "-j", "RETURN"); err == nil {
		return nil
	}
	if out, err := run(ipt, "-w", "-I", egressGuardChain, "1", "-d", cidr, "-j", "RETURN"); err != nil {
		return fmt.Errorf("%s: allow %s: %v: %s", ipt, cidr, err, out)
	}
	return nil
}

const egressGuardChain = "OFFLINE-KIND-EGRESS"

func internalIP(n *corev1.Node) net.IP {
	for _, a := range n.Status.Addresses {
		if a.Type == corev1.NodeInternalIP {
			return net.ParseIP(a.Address)
		}
	}
	return nil
}

func isIPv6(cidr string) bool { return strings.Contains(cidr, ":") }

// ensureJump inserts a rule at the top of a built-in chain unless it is there already.
func ensureJump(table, chain string, rule ...string) error {
	args := append([]string{"-w", "-t", table, "-C", chain}, rule...)
	if _, err := run("iptables", args...); err == nil {
		return nil
	}
	args = append([]string{"-w", "-t", table, "-I", chain, "1"}, rule...)
	if out, err := run("iptables", args...); err != nil {
		return fmt.Errorf("iptables %v: %v: %s", args, err, out)
	}
	return nil
}

// iptablesRestore applies a ruleset without touching chains it does not mention.
func iptablesRestore(rules string) error {
	cmd := exec.Command("iptables-restore", "-w", "--noflush")
	cmd.Stdin = strings.NewReader(rules)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("iptables-restore: %v: %s\n%s", err, out, rules)
	}
	return nil
}

func run(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	return string(out), err
}
