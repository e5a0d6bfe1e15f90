/** Jest `reporters` for a project: the default console reporter plus its JUnit report. */
declare function junitReporters(project: string): Array<string | [string, Record<string, unknown>]>;
export = junitReporters;
