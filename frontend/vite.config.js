import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// The dashboard (index.html) and the widget (widget/index.html) are one multi-page build;
// the loader (src/sdk) is a separate IIFE build: see vite.sdk.config.js.
const backend = process.env.PARLEY_BACKEND || 'http://127.0.0.1:3000'
const proxied = ['/api', '/auth', '/public', '/super_admin', '/platform', '/packs']

export default defineConfig({
  plugins: [vue()],
  define: {
    __VUE_OPTIONS_API__: 'false',
    __VUE_PROD_DEVTOOLS__: 'false',
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    rolldownOptions: {
      input: {
        dashboard: fileURLToPath(new URL('./index.html', import.meta.url)),
        widget: fileURLToPath(new URL('./widget/index.html', import.meta.url)),
      },
      output: {
        // The chunk both apps share (Vue + src/shared) would be named after one of its
        // modules; call it what it is.
        chunkFileNames: (chunk) =>
          chunk.facadeModuleId == null && chunk.moduleIds.some((id) => id.includes('/node_modules/vue') || id.includes('/@vue/'))
            ? 'assets/shared-[hash].js'
            : 'assets/[name]-[hash].js',
      },
    },
  },
  server: {
    proxy: Object.fromEntries([
      ...proxied.map((p) => [p, { target: backend, changeOrigin: false }]),
      ['/ws', { target: backend.replace(/^http/, 'ws'), ws: true }],
    ]),
  },
  test: {
    environment: 'happy-dom',
    include: ['tests/**/*.test.js'],
    testTimeout: 10000,
  },
})
