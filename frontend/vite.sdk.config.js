import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'

// dist/packs/js/sdk.js: one plain minified IIFE, no imports, loaded by Chatwoot's snippet.
export default defineConfig({
  publicDir: false,
  build: {
    outDir: 'dist/packs/js',
    emptyOutDir: false,
    minify: true,
    sourcemap: false,
    lib: {
      entry: fileURLToPath(new URL('./src/sdk/index.js', import.meta.url)),
      formats: ['iife'],
      name: 'ParleySDK',
      fileName: () => 'sdk.js',
    },
  },
})
