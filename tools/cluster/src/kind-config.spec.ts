import { parse, parseAllDocuments } from 'yaml';
import { kindConfig, kindConfigYaml } from './kind-config';

const base = { name: 'todo', httpPort: 80, httpsPort: 443, listenAddress: '127.0.0.1', encryptionDir: '/home/u/.local/state/todo-platform/clusters/todo/encryption', registry: false };

describe('kind config', () => {
  it('maps Traefik NodePorts to the configured host ports and labels the node ingress-ready', () => {
    const cfg = parse(kindConfigYaml({ ...base, httpPort: 18080, httpsPort: 18443 }));
    expect(cfg.kind).toBe('Cluster');
    expect(cfg.apiVersion).toBe('kind.x-k8s.io/v1alpha4');
    expect(cfg.name).toBe('todo');
    const cp = cfg.nodes[0];
    expect(cp.role).toBe('control-plane');
    expect(cp.labels).toEqual({ 'ingress-ready': 'true' });
    expect(cp.extraPortMappings).toEqual([
      { containerPort: 30080, hostPort: 18080, listenAddress: '127.0.0.1', protocol: 'TCP' },
      { containerPort: 30443, hostPort: 18443, listenAddress: '127.0.0.1', protocol: 'TCP' },
    ]);
  });

  it('mounts the encryption directory and hands it to the API server (kubeadm v1beta3 map form); aggregated APIs by their endpoints', () => {
    const cfg = kindConfig(base) as { nodes: Array<{ extraMounts: unknown[] }>; kubeadmConfigPatches: string[] };
    expect(cfg.nodes[0].extraMounts).toEqual([{ hostPath: base.encryptionDir, containerPath: '/etc/kubernetes/encryption', readOnly: true }]);
    const patch = parse(cfg.kubeadmConfigPatches[0]);
    expect(patch.kind).toBe('ClusterConfiguration');
    expect(patch.apiServer.extraArgs).toEqual({ 'encryption-provider-config': '/etc/kubernetes/encryption/config.yaml', 'enable-aggregator-routing': 'true' });
    expect(patch.apiServer.extraVolumes).toEqual([
      { name: 'encryption-config', hostPath: '/etc/kubernetes/encryption', mountPath: '/etc/kubernetes/encryption', readOnly: true, pathType: 'DirectoryOrCreate' },
    ]);
  });

  it('sets containerd config_path only with a registry', () => {
    expect(kindConfig(base).containerdConfigPatches).toBeUndefined();
    const patches = kindConfig({ ...base, registry: true }).containerdConfigPatches as string[];
    expect(patches).toHaveLength(1);
    expect(patches[0]).toContain('[plugins."io.containerd.grpc.v1.cri".registry]');
    expect(patches[0]).toContain('config_path = "/etc/containerd/certs.d"');
    expect((kindConfig({ ...base, registry: true, containerdConfigVersion: 3 }).containerdConfigPatches as string[])[0]).toContain('[plugins."io.containerd.cri.v1.images".registry]');
  });

  it('adds workers on request and stays one YAML document', () => {
    const y = kindConfigYaml({ ...base, workers: 2 });
    expect(parseAllDocuments(y)).toHaveLength(1);
    expect(parse(y).nodes.map((n: { role: string }) => n.role)).toEqual(['control-plane', 'worker', 'worker']);
  });
});
