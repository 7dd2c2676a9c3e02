import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// The dashboard (index.html) and the widget (widget/index.html) are one multi-page build;
// the loader (src/sdk) is a separate IIFE build: see vite.sdk.config.js.
const backend = process.env.PARLEY_BACKEND || 'http://127.0.0.1:3000'
const proxied = ['/api', '/auth', '/public', '/super_admin', '/platform', '/packs', '/hc']

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
        survey: fileURLToPath(new URL('./survey/index.html', import.meta.url)),
      },
      output: {
        // Vue and the src/shared modules both apps use are one chunk. Without the group a
        // shared module that the dashboard loads lazily (useAction) got a chunk of its own:
        // one more request and a few hundred bytes for every widget visitor. endpoints.js is
        // the dashboard's and upload.js is loaded on demand: they stay out. Vite's preload
        // helper (which every lazy chunk's import goes through) is in it too: the widget's
        // help center is loaded lazily, and the helper as a chunk of its own was one more
        // request on every widget load.
        codeSplitting: {
          groups: [{ name: 'shared', test: /[\\/]node_modules[\\/](vue|@vue)[\\/]|[\\/]src[\\/]shared[\\/](?!endpoints\.js|upload\.js)|modulepreload-polyfill|preload-helper/ }],
        },
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
