// `tern container-server <conf>`: the container server of one node.
import { runDbServer } from './db-server-main.ts'

export const run = (argv: string[]): Promise<number> => runDbServer('container', argv)
