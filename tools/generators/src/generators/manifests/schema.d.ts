export interface ManifestsGeneratorSchema {
  /** Environment name. */
  environment: string;
  /** Parent folder of the <env>/ folder; default deploy/manifests. */
  outputPath?: string;
}
