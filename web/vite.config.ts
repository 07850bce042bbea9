import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `npm run dev -w web` serves the dashboard with hot reload and sends /api and /trace to a
// `greenlight serve` on :3001; `npm run build -w web` writes dist/, which that server serves.
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    manifest: true,
    sourcemap: false,
    chunkSizeWarningLimit: 800,
  },
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:3001',
      '/trace': 'http://127.0.0.1:3001',
    },
  },
});
