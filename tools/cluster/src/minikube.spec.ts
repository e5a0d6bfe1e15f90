import { minikubeDeleteArgs, minikubeFilesPath, minikubeImageLoadArgs, minikubeOptions, minikubeStartArgs, minikubeStatusArgs, minikubeUpPlan } from './minikube';

describe('minikube commands', () => {
  const o = minikubeOptions('todo', {});

  it('sizes the VM for the app and pins Kubernetes 1.34', () => {
    expect(o).toEqual({ profile: 'todo', cpus: 2, memoryMb: 4096, kubernetesVersion: 'v1.34.0', driver: 'docker', httpPort: 80, httpsPort: 443, listenAddress: '127.0.0.1' });
    expect(minikubeOptions('todo', { MINIKUBE_CPUS: '4', MINIKUBE_MEMORY: '8192', MINIKUBE_DRIVER: 'kvm2' })).toMatchObject({ cpus: 4, memoryMb: 8192, driver: 'kvm2' });
  });

  it('builds the exact start command: encryption at rest, storage, ingress NodePorts on loopback', () => {
    expect(minikubeStartArgs(o)).toEqual([
      'start',
      '--profile=todo',
      '--driver=docker',
      '--kubernetes-version=v1.34.0',
      '--cpus=2',
      '--memory=4096',
      '--extra-config=apiserver.encryption-provider-config=/var/lib/minikube/certs/encryption/config.yaml',
      '--addons=storage-provisioner,default-storageclass',
      '--wait=all',
      '--ports=127.0.0.1:80:30080',
      '--ports=127.0.0.1:443:30443',
    ]);
  });

  it('publishes no ports with a VM driver (the VM has its own IP: minikube ip)', () => {
    expect(minikubeStartArgs({ ...o, driver: 'kvm2' }).some((a) => a.startsWith('--ports'))).toBe(false);
  });

  it('loads images, reports status, deletes the profile', () => {
    expect(minikubeImageLoadArgs('todo', 'todo-backend:abc')).toEqual(['image', 'load', 'todo-backend:abc', '--profile=todo']);
    expect(minikubeStatusArgs('todo')).toEqual(['status', '--profile=todo', '--output=json']);
    expect(minikubeDeleteArgs('todo')).toEqual(['delete', '--profile=todo']);
  });

  it('syncs the encryption config through $MINIKUBE_HOME/files and then installs Traefik', () => {
    expect(minikubeFilesPath('/home/u/.minikube')).toBe('/home/u/.minikube/files/var/lib/minikube/certs/encryption/config.yaml');
    const plan = minikubeUpPlan(o, '/home/u/.minikube', 'traefik.yaml');
    expect(plan.map((c) => c[0])).toEqual(['install', 'minikube', 'kubectl', 'kubectl']);
    expect(plan[2]).toEqual(['kubectl', '--context', 'todo', 'apply', '-f', 'traefik.yaml']);
  });
});
