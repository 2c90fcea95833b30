import { fileURLToPath } from 'node:url'
import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

// The admin UI is built into web/dist and served at / by `alertmail serve`.
// The server's CSP forbids inline scripts, so no inline bootstrap and no modulepreload polyfill.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  server: {
    proxy: { '/api': 'http://127.0.0.1:8025', '/healthz': 'http://127.0.0.1:8025' },
  },
})
