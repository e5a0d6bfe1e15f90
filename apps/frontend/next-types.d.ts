// Checked-in stand-in for the generated (and git-ignored) next-env.d.ts, so `tsc` works on a fresh clone:
// Next's global types, including `*.module.css` imports.
/// <reference types="next" />
/// <reference types="next/image-types/global" />
