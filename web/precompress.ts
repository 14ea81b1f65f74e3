import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { Plugin } from 'vite';

/** Types worth compressing: text. Source maps are for developers, not for the school's link. */
const COMPRESSIBLE = /\.(js|css|html|svg|json|txt)$/;
/** Below this a compressed copy saves less than a packet. */
const MIN_BYTES = 1024;

/**
 * Brotli and gzip copies of the built pages next to each file (main.js.br, main.js.gz), served by
 * the app's static files (preCompressed) to browsers that accept them. The meeting page is ~1 MB
 * of script: over a school's 400 kbit/s line that is ~20 s before the page can even connect;
 * brotli makes it a quarter of that. Compressed once at build, not per request on a busy node.
 */
export function precompress(): Plugin {
  let outDir = 'dist';
  return {
    name: 'diemcau-precompress',
    apply: 'build',
    configResolved(config) {
      outDir = join(config.root, config.build.outDir);
    },
    closeBundle() {
      const walk = (dir: string) => {
        for (const name of readdirSync(dir)) {
          const path = join(dir, name);
          if (statSync(path).isDirectory()) {
            walk(path);
            continue;
          }
          if (!COMPRESSIBLE.test(name)) continue;
          const body = readFileSync(path);
          if (body.length < MIN_BYTES) continue;
          writeFileSync(
            `${path}.br`,
            brotliCompressSync(body, {
              params: {
                [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
                [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
              },
            }),
          );
          writeFileSync(`${path}.gz`, gzipSync(body, { level: 9 }));
        }
      };
      walk(outDir);
    },
  };
}
