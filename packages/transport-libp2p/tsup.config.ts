import { defineConfig } from 'tsup'

export default defineConfig({
  entry: ['src/index.ts', 'src/testing.ts', 'src/polyfill.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  esbuildPlugins: [
    {
      // Keep the Promise.withResolvers polyfill its own file (dist/polyfill.js / .cjs), imported by
      // path from the other outputs: it is the one module package.json marks with side effects.
      name: 'external-polyfill',
      setup(build) {
        const ext = build.initialOptions.format === 'cjs' ? 'cjs' : 'js'
        build.onResolve({ filter: /^\.\/polyfill\.js$/ }, (args) =>
          args.kind === 'entry-point' ? undefined : { path: `./polyfill.${ext}`, external: true },
        )
      },
    },
  ],
})
