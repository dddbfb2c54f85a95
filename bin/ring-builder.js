#!/usr/bin/env node
// Installed entry point: load the TypeScript sources through tsx.
import { register } from 'tsx/esm/api'
register()
await import('./ring-builder.ts')
