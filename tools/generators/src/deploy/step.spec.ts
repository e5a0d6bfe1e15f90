/* runSteps: each step skipped when not needed, the first failure stops the chain, the timings. */
import { runSteps } from './step';

it('runSteps: skips what is not needed, stops at the first failure', async () => {
  const ran: string[] = [];
  const step = (name: string, needed: boolean, ok = true) => ({
    name,
    needed: () => ({ needed, reason: needed ? 'do it' : 'already there' }),
    run: () => (ran.push(name), ok),
  });
  const lines: string[] = [];
  const r = await runSteps([step('a', false), step('b', true), step('c', true, false), step('d', true)], {}, (l) => lines.push(l));
  expect(r).toMatchObject({ success: false, ran: ['b'], skipped: ['a'] });
  expect(r.steps.map((t) => [t.name, t.outcome])).toEqual([['a', 'skipped'], ['b', 'ran'], ['c', 'failed']]);
  expect(ran).toEqual(['b', 'c']);
  expect(lines.map((l) => l.replace(/ ?(in |after )?\d+\.\ds$/, ''))).toEqual(['[1/4] a: skipped (already there)', '[2/4] b: do it', '[2/4] b: done', '[3/4] c: do it', '[3/4] c: failed']);
});

it('runSteps: an error thrown by a check or a run carries the timings so far', async () => {
  const boom = (where: 'needed' | 'run') => ({
    name: `boom-${where}`,
    needed: () => {
      if (where === 'needed') throw new Error('check broke');
      return { needed: true, reason: 'do it' };
    },
    run: (): boolean => {
      throw new Error('run broke');
    },
  });
  const ok = { name: 'ok', needed: () => ({ needed: true, reason: 'do it' }), run: () => true };
  const quiet = () => undefined;
  const a = await runSteps([ok, boom('needed')], {}, quiet).catch((e) => e);
  expect([a.message, a.steps.map((t: { name: string; outcome: string }) => `${t.name}:${t.outcome}`)]).toEqual(['check broke', ['ok:ran', 'boom-needed:failed']]);
  const b = await runSteps([boom('run')], {}, quiet).catch((e) => e);
  expect([b.message, b.steps.map((t: { name: string; outcome: string; reason: string }) => `${t.name}:${t.outcome}:${t.reason}`)]).toEqual(['run broke', ['boom-run:failed:do it']]);
});
