import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';
import { precompress } from './precompress.js';

// Pages are served by the Fastify app from web/dist; in dev, Vite proxies API and sockets to it.
export default defineConfig({
  root: new URL('.', import.meta.url).pathname,
  plugins: [preact(), precompress()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    target: 'es2022',
    rollupOptions: {
      input: {
        index: new URL('index.html', import.meta.url).pathname,
        harness: new URL('harness.html', import.meta.url).pathname,
      },
    },
  },
  server: {
    proxy: {
      '/api': 'http://localhost:8080',
      '/socket.io': { target: 'http://localhost:8080', ws: true },
    },
  },
});
