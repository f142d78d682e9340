// Built into dist/ and served by the API at /ui (services/api/src/transport/console.ts): every asset is
// local (no CDN), hashed names under /ui/assets/ are cached for good, index.html never.
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

export default defineConfig({
  base: "/ui/",
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 1000 },
  server: { proxy: { "/graphql": { target: "http://127.0.0.1:4000", ws: true } } },
});
