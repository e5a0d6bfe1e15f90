export interface ImageScanExecutorSchema {
  /** trivy, grype, or auto (the first one installed; default). */
  scanner?: 'auto' | 'trivy' | 'grype';
  /** Lowest severity that fails the scan (default high). */
  failOn?: 'low' | 'medium' | 'high' | 'critical';
  /** Image to scan; default: the ref in dist/images/<project>.json. */
  image?: string;
}
