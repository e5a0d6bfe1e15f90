export interface ChartGeneratorSchema {
  /** Fail instead of writing when the output differs from the files in the workspace. */
  check?: boolean;
}
