/** Command execution that honours dryRun (print only). */
import { commandLine, stream } from './proc';

export function exec(dryRun: boolean, bin: string, args: string[], input?: string): boolean {
  if (dryRun) {
    console.log(`$ ${commandLine(bin, args)}${input === undefined ? '' : ' <<EOF\n' + input.trimEnd() + '\nEOF'}  (dry run)`);
    return true;
  }
  return stream(bin, args, { input }) === 0;
}
