import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * The operator portal: served by Sigil at /portal/ from dist/portal (src/modules/portal-ui). In
 * development `npm run dev:portal` serves it with hot reload and proxies the API to a local Sigil.
 */
const portalRoot = fileURLToPath(new URL('.', import.meta.url));
const outDir = fileURLToPath(new URL('../dist/portal', import.meta.url));

export default defineConfig({
  root: portalRoot,
  base: '/portal/',
  plugins: [react()],
  build: {
    outDir,
    emptyOutDir: true,
    // Every script is a file of its own (the CSP allows no inline script); names carry content hashes.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: true,
    chunkSizeWarningLimit: 700,
    rollupOptions: {
      output: {
        entryFileNames: 'assets/[name]-[hash].js',
        chunkFileNames: 'assets/[name]-[hash].js',
        assetFileNames: 'assets/[name]-[hash][extname]',
      },
    },
  },
  server: {
    port: 5173,
    proxy: { '/v1': { target: process.env.SIGIL_URL ?? 'http://127.0.0.1:3000', changeOrigin: false } },
  },
});
