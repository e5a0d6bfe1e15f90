/**
 * <image project>:scan. Trivy or Grype on the image docker-build recorded. Neither installed is a
 * failure with instructions, never a silent pass: a scan that did not run must not look green.
 */
import type { ExecutorContext } from '@nx/devkit';
import { capture, stream } from '@todo/cluster';
import { readRecord, recordPath } from '../../images/record';
import type { ImageScanExecutorSchema } from './schema';

const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;

export const INSTALL_HINT = [
  'No vulnerability scanner found: install Trivy or Grype, or point $TRIVY / $GRYPE at one.',
  '  Trivy: https://trivy.dev/latest/getting-started/installation/ (apt/rpm repositories, Homebrew, release binaries),',
  '         or from the Go module proxy: go install github.com/aquasecurity/trivy/cmd/trivy@latest',
  '  Grype: https://github.com/anchore/grype#installation (install script, Homebrew, release binaries),',
  '         or from the Go module proxy: go install github.com/anchore/grype/cmd/grype@latest',
  'Both download a vulnerability database on first use, so the machine needs to reach it (or a mirror of it).',
].join('\n');

/** The scanner binary: $TRIVY / $GRYPE, else on PATH. */
export function findScanner(which: ImageScanExecutorSchema['scanner'] = 'auto'): { name: 'trivy' | 'grype'; bin: string } | undefined {
  const order: Array<'trivy' | 'grype'> = which === 'auto' || !which ? ['trivy', 'grype'] : [which];
  for (const name of order) {
    const fromEnv = process.env[name.toUpperCase()];
    if (fromEnv) return { name, bin: fromEnv };
    const found = capture('sh', ['-c', `command -v ${name}`]);
    if (found.status === 0 && found.stdout.trim()) return { name, bin: found.stdout.trim() };
  }
  return undefined;
}

export function scanArgs(name: 'trivy' | 'grype', image: string, failOn: (typeof SEVERITIES)[number]): string[] {
  if (name === 'trivy') {
    const severities = SEVERITIES.slice(SEVERITIES.indexOf(failOn)).map((s) => s.toUpperCase()).join(',');
    return ['image', '--exit-code', '1', '--severity', severities, image];
  }
  return [`docker:${image}`, '--fail-on', failOn];
}

export default async function imageScanExecutor(options: ImageScanExecutorSchema, context: ExecutorContext) {
  const project = context.projectName ?? '';
  const scanner = findScanner(options.scanner);
  if (!scanner) {
    console.error(INSTALL_HINT);
    return { success: false };
  }
  let image = options.image;
  if (!image) {
    const record = readRecord(context.root, project);
    if (!record) {
      console.error(`${recordPath(context.root, project)} is missing: run \`npx nx run ${project}:docker-build\` first`);
      return { success: false };
    }
    image = record.ref;
  }
  const status = stream(scanner.bin, scanArgs(scanner.name, image, options.failOn ?? 'high'));
  if (status !== 0) console.error(`${scanner.name} reported findings at or above "${options.failOn ?? 'high'}" in ${image}, or could not scan it (exit ${status}).`);
  return { success: status === 0 };
}
