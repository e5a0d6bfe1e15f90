import { parse } from 'yaml';
import { registryGap, containerdConfigPatch, containerdConfigVersion, hostsToml, hostsTomlPath, localRegistryHostingConfigMap, nodeHostsCommands, registryDockerCommands, registryOptions } from './registry';

describe('local registry (kind)', () => {
  const o = registryOptions({});

  it('defaults to registry:3 named kind-registry on localhost:5001, overridable', () => {
    expect(o).toEqual({ name: 'kind-registry', hostPort: 5001, image: 'docker.io/library/registry:3' });
    expect(registryOptions({ KIND_REGISTRY_PORT: '5555', KIND_REGISTRY_NAME: 'r' })).toMatchObject({ hostPort: 5555, name: 'r' });
  });

  it('points containerd at certs.d and localhost:5001 at the registry container', () => {
    expect(containerdConfigPatch()).toBe('[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n');
    expect(containerdConfigPatch(3)).toBe('[plugins."io.containerd.cri.v1.images".registry]\n  config_path = "/etc/containerd/certs.d"\n');
    expect(containerdConfigVersion('# x\nversion = 3\n[plugins]')).toBe(3);
    expect(containerdConfigVersion('version = 2\n')).toBe(2);
    expect(containerdConfigVersion('[plugins]\n')).toBe(2);
    expect(hostsTomlPath(o)).toBe('/etc/containerd/certs.d/localhost:5001/hosts.toml');
    expect(hostsToml(o)).toBe('[host."http://kind-registry:5000"]\n');
  });

  it('publishes the local-registry-hosting ConfigMap (KEP-1755)', () => {
    const cm = parse(localRegistryHostingConfigMap(o));
    expect(cm.metadata).toEqual({ name: 'local-registry-hosting', namespace: 'kube-public' });
    expect(parse(cm.data['localRegistryHosting.v1'])).toEqual({ host: 'localhost:5001', help: 'https://kind.sigs.k8s.io/docs/user/local-registry/' });
  });

  it('runs the registry on loopback and connects it to the kind network, only what is missing', () => {
    expect(registryDockerCommands(o, { running: false, connected: false })).toEqual([
      ['docker', 'run', '-d', '--restart=always', '-p', '127.0.0.1:5001:5000', '--network', 'bridge', '--name', 'kind-registry', 'docker.io/library/registry:3'],
      ['docker', 'network', 'connect', 'kind', 'kind-registry'],
    ]);
    expect(registryDockerCommands(o, { running: true, connected: false })).toEqual([['docker', 'network', 'connect', 'kind', 'kind-registry']]);
    expect(registryDockerCommands(o, { running: true, connected: true })).toEqual([]);
  });

  it('writes hosts.toml into every node', () => {
    expect(nodeHostsCommands(['n1', 'n2'], o)).toEqual([
      ['docker', 'exec', 'n1', 'mkdir', '-p', '/etc/containerd/certs.d/localhost:5001'],
      ['docker', 'exec', '-i', 'n1', 'cp', '/dev/stdin', '/etc/containerd/certs.d/localhost:5001/hosts.toml'],
      ['docker', 'exec', 'n2', 'mkdir', '-p', '/etc/containerd/certs.d/localhost:5001'],
      ['docker', 'exec', '-i', 'n2', 'cp', '/dev/stdin', '/etc/containerd/certs.d/localhost:5001/hosts.toml'],
    ]);
  });

  it('finds what a cluster lacks for its registry: config_path (created without it), hosts.toml, the container', () => {
    const answers = (node: string, container: string) => (_bin: string, args: string[]) =>
      ({ status: args[0] === 'exec' ? (node.includes('[host') ? 0 : 1) : 0, stdout: args[0] === 'exec' ? node : container, stderr: '' }) as never;
    const withPath = `version = 3\n${containerdConfigPatch(3)}`;
    const hosts = hostsToml(o);
    expect(registryGap(o, ['n1'], 'docker', answers('version = 3\n', 'true {"kind":{}}'))).toBe('config-path');
    expect(registryGap(o, ['n1'], 'docker', answers(withPath, 'true {"kind":{}}'))).toBe('hosts');
    expect(registryGap(o, ['n1'], 'docker', answers(withPath + hosts, 'false {"kind":{}}'))).toBe('container');
    expect(registryGap(o, ['n1'], 'docker', answers(withPath + hosts, 'true {"bridge":{}}'))).toBe('container');
    expect(registryGap(o, ['n1'], 'docker', answers(withPath + hosts, 'true {"bridge":{},"kind":{}}'))).toBeUndefined();
  });
});
