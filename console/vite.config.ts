import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// Served by Flask at /console/; every asset is bundled (no CDN on a district intranet).
export default defineConfig({
  base: '/console/',
  plugins: [vue()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
    rollupOptions: {
      output: {
        manualChunks: {
          maplibre: ['maplibre-gl'],
          echarts: ['echarts'],
          element: ['element-plus'],
        },
      },
    },
  },
  server: {
    proxy: { '/api': 'http://127.0.0.1:5000' },
  },
})
