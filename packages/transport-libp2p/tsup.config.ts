import { defineConfig } from 'tsup'

/** Modules kept as their own files in dist/, imported by path from the other outputs. */
const ownFiles = /^\.\/(polyfill|peer-key)\.js$/

export default defineConfig({
  entry: [
    'src/index.ts',
    'src/testing.ts',
    'src/polyfill.ts',
    'src/peer-key.ts',
    'src/peer-key.browser.ts',
  ],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  esbuildPlugins: [
    {
      // - the Promise.withResolvers polyfill (dist/polyfill.js / .cjs): the one module
      //   package.json marks with side effects;
      // - the node key on disk (dist/peer-key.js / .cjs), which package.json's `browser` field
      //   swaps for dist/peer-key.browser.js (no node:fs in a browser bundle).
      name: 'own-files',
      setup(build) {
        const ext = build.initialOptions.format === 'cjs' ? 'cjs' : 'js'
        build.onResolve({ filter: ownFiles }, (args) =>
          args.kind === 'entry-point'
            ? undefined
            : { path: args.path.replace(/\.js$/, `.${ext}`), external: true },
        )
      },
    },
  ],
})
