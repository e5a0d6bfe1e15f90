package main

// NetworkPolicy enforcement with iptables (filter table, FORWARD chain).
//
// With the ptp CNI plugin every pod packet is routed through the node, so FORWARD sees all pod-to-pod
// traffic, after kube-proxy's DNAT (the destination is already the backend pod). Each node enforces:
//   - ingress policies for its own pods (packets whose destination is a local pod),
//   - egress policies for its own pods (packets whose source is a local pod).
// Replies of allowed connections pass (conntrack ESTABLISHED,RELATED). Traffic from the node itself
// (kubelet probes, host-network pods) does not cross FORWARD and is always allowed, as the API requires.
//
// Chains: KINDNET-LITE-NP (jumped to from FORWARD) sends a local pod's packets to KNL-I-<hash> or
// KNL-E-<hash>; those RETURN what a policy allows and DROP the rest.
// Limitations (documented in README): IPv4 only; named ports are resolved against the pods' declared
// container ports; SCTP is matched like TCP/UDP.

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os/exec"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	corelisters "k8s.io/client-go/listers/core/v1"
	netlisters "k8s.io/client-go/listers/networking/v1"
)

const npChain = "KINDNET-LITE-NP"

type netpol struct {
	node       string
	pods       corelisters.PodLister
	namespaces corelisters.NamespaceLister
	policies   netlisters.NetworkPolicyLister
	jumped     bool
}

// match is one allowed (peer address, port) pair; empty fields mean "any".
type match struct{ cidr, proto, port string }

func (np *netpol) sync() error {
	allPods, err := np.pods.List(labels.Everything())
	if err != nil {
		return err
	}
	policies, err := np.policies.List(labels.Everything())
	if err != nil {
		return err
	}
	sort.Slice(policies, func(i, j int) bool {
		return policies[i].Namespace+"/"+policies[i].Name < policies[j].Namespace+"/"+policies[j].Name
	})

	var chains []string
	var rules strings.Builder
	fmt.Fprintf(&rules, "-A %s -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN\n", npChain)
	for _, pod := range allPods {
		ip := podIPv4(pod)
		if pod.Spec.NodeName != np.node || ip == "" {
			continue
		}
		for _, dir := range []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress} {
			isolated, allowed := np.allowedFor(pod, dir, policies, allPods)
			if !isolated {
				continue
			}
			chain := chainName(dir, ip)
			chains = append(chains, chain)
			if dir == networkingv1.PolicyTypeIngress {
				fmt.Fprintf(&rules, "-A %s -d %s/32 -j %s\n", npChain, ip, chain)
			} else {
				fmt.Fprintf(&rules, "-A %s -s %s/32 -j %s\n", npChain, ip, chain)
			}
			peerFlag := "-s"
			if dir == networkingv1.PolicyTypeEgress {
				peerFlag = "-d"
			}
			for _, m := range allowed {
				rule := "-A " + chain
				if m.cidr != "" {
					rule += " " + peerFlag + " " + m.cidr
				}
				if m.proto != "" {
					rule += " -p " + m.proto
					if m.port != "" {
						rule += " -m " + m.proto + " --dport " + m.port
					}
				}
				rules.WriteString(rule + " -j RETURN\n")
			}
			fmt.Fprintf(&rules, "-A %s -j DROP\n", chain)
		}
	}

	stale, err := existingChains()
	if err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("*filter\n")
	fmt.Fprintf(&b, ":%s - [0:0]\n", npChain)
	want := map[string]bool{}
	for _, c := range chains {
		want[c] = true
		fmt.Fprintf(&b, ":%s - [0:0]\n", c)
	}
	for _, c := range stale {
		if !want[c] {
			fmt.Fprintf(&b, ":%s - [0:0]\n", c) // flush, so it can be deleted below
		}
	}
	b.WriteString(rules.String())
	for _, c := range stale {
		if !want[c] {
			fmt.Fprintf(&b, "-X %s\n", c)
		}
	}
	b.WriteString("COMMIT\n")
	if err := iptablesRestore(b.String()); err != nil {
		return err
	}
	if !np.jumped {
		if err := ensureJump("filter", "FORWARD", "-j", npChain); err != nil {
			return err
		}
		np.jumped = true
	}
	return nil
}

// allowedFor says whether pod is isolated in direction dir and, if so, what the policies allow.
func (np *netpol) allowedFor(pod *corev1.Pod, dir networkingv1.PolicyType, policies []*networkingv1.NetworkPolicy, allPods []*corev1.Pod) (bool, []match) {
	isolated := false
	var allowed []match
	for _, p := range policies {
		if p.Namespace != pod.Namespace || !hasType(p, dir) || !selects(&p.Spec.PodSelector, pod.Labels) {
			continue
		}
		isolated = true
		if dir == networkingv1.PolicyTypeIngress {
			for _, r := range p.Spec.Ingress {
				allowed = append(allowed, np.expand(p.Namespace, r.From, r.Ports, pod, allPods, true)...)
			}
		} else {
			for _, r := range p.Spec.Egress {
				allowed = append(allowed, np.expand(p.Namespace, r.To, r.Ports, pod, allPods, false)...)
			}
		}
	}
	return isolated, allowed
}

// expand turns one rule (peers x ports) into concrete matches.
func (np *netpol) expand(ns string, peers []networkingv1.NetworkPolicyPeer, ports []networkingv1.NetworkPolicyPort,
	self *corev1.Pod, allPods []*corev1.Pod, ingress bool) []match {
	type peer struct {
		cidr string
		pod  *corev1.Pod // for resolving named ports on egress
	}
	var ps []peer
	if len(peers) == 0 {
		ps = []peer{{}} // no "from"/"to": every peer
	}
	for _, pe := range peers {
		if pe.IPBlock != nil {
			for _, c := range subtractCIDRs(pe.IPBlock.CIDR, pe.IPBlock.Except) {
				ps = append(ps, peer{cidr: c})
			}
			continue
		}
		for _, other := range allPods {
			ip := podIPv4(other)
			if ip != "" && np.peerSelects(ns, pe, other) {
				ps = append(ps, peer{cidr: ip + "/32", pod: other})
			}
		}
	}
	var out []match
	for _, p := range ps {
		if len(ports) == 0 {
			out = append(out, match{cidr: p.cidr})
			continue
		}
		for _, port := range ports {
			proto := "tcp"
			if port.Protocol != nil {
				proto = strings.ToLower(string(*port.Protocol))
			}
			if port.Port == nil {
				out = append(out, match{cidr: p.cidr, proto: proto})
				continue
			}
			target := self // ingress: the port is on the protected pod
			if !ingress {
				target = p.pod
			}
			num := resolvePort(port, target)
			if num == "" {
				continue // a named port nobody declares allows nothing
			}
			out = append(out, match{cidr: p.cidr, proto: proto, port: num})
		}
	}
	return out
}

func (np *netpol) peerSelects(ns string, pe networkingv1.NetworkPolicyPeer, pod *corev1.Pod) bool {
	if pod.Spec.HostNetwork {
		return false
	}
	if pe.NamespaceSelector == nil {
		return pod.Namespace == ns && pe.PodSelector != nil && selects(pe.PodSelector, pod.Labels)
	}
	nsObj, err := np.namespaces.Get(pod.Namespace)
	if err != nil || !selects(pe.NamespaceSelector, nsObj.Labels) {
		return false
	}
	return pe.PodSelector == nil || selects(pe.PodSelector, pod.Labels)
}

func resolvePort(port networkingv1.NetworkPolicyPort, pod *corev1.Pod) string {
	if port.Port.IntVal != 0 || port.Port.StrVal == "" {
		if port.EndPort != nil {
			return fmt.Sprintf("%d:%d", port.Port.IntVal, *port.EndPort)
		}
		return fmt.Sprint(port.Port.IntVal)
	}
	if pod == nil {
		return ""
	}
	for _, c := range pod.Spec.Containers {
		for _, cp := range c.Ports {
			if cp.Name == port.Port.StrVal {
				return fmt.Sprint(cp.ContainerPort)
			}
		}
	}
	return ""
}

func hasType(p *networkingv1.NetworkPolicy, dir networkingv1.PolicyType) bool {
	if len(p.Spec.PolicyTypes) == 0 { // API default: Ingress, plus Egress when egress rules exist
		return dir == networkingv1.PolicyTypeIngress || len(p.Spec.Egress) > 0
	}
	for _, t := range p.Spec.PolicyTypes {
		if t == dir {
			return true
		}
	}
	return false
}

func selects(sel *metav1.LabelSelector, l map[string]string) bool {
	s, err := metav1.LabelSelectorAsSelector(sel)
	return err == nil && s.Matches(labels.Set(l))
}

func podIPv4(p *corev1.Pod) string {
	if p.Spec.HostNetwork || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
		return ""
	}
	for _, ip := range p.Status.PodIPs {
		if a, err := netip.ParseAddr(ip.IP); err == nil && a.Is4() {
			return a.String()
		}
	}
	return ""
}

func chainName(dir networkingv1.PolicyType, ip string) string {
	h := sha256.Sum256([]byte(ip))
	return "KNL-" + string(dir)[:1] + "-" + hex.EncodeToString(h[:])[:16]
}

// existingChains lists our per-pod chains currently in the filter table.
func existingChains() ([]string, error) {
	out, err := exec.Command("iptables-save", "-t", "filter").Output()
	if err != nil {
		return nil, fmt.Errorf("iptables-save: %v", err)
	}
	var chains []string
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, ":KNL-") {
			chains = append(chains, strings.Fields(line[1:])[0])
		}
	}
	return chains, nil
}

// subtractCIDRs returns cidr minus the except ranges, as a list of CIDRs (IPv4 only).
func subtractCIDRs(cidr string, except []string) []string {
	base, err := netip.ParsePrefix(cidr)
	if err != nil || !base.Addr().Is4() {
		return nil
	}
	set := []netip.Prefix{base.Masked()}
	for _, e := range except {
		ex, err := netip.ParsePrefix(e)
		if err != nil {
			continue
		}
		ex = ex.Masked()
		var next []netip.Prefix
		for _, p := range set {
			next = append(next, removePrefix(p, ex)...)
		}
		set = next
	}
	out := make([]string, 0, len(set))
	for _, p := range set {
		out = append(out, p.String())
	}
	return out
}

// removePrefix returns p without ex, splitting p in halves until the pieces avoid ex.
func removePrefix(p, ex netip.Prefix) []netip.Prefix {
	if !p.Overlaps(ex) {
		return []netip.Prefix{p}
	}
	if ex.Bits() <= p.Bits() { // ex covers p entirely
		return nil
	}
	lo := netip.PrefixFrom(p.Addr(), p.Bits()+1)
	hiAddr := p.Addr().As4()
	bit := p.Bits()
	hiAddr[bit/8] |= 0x80 >> (bit % 8)
	hi := netip.PrefixFrom(netip.AddrFrom4(hiAddr), p.Bits()+1)
	return append(removePrefix(lo, ex), removePrefix(hi, ex)...)
}
