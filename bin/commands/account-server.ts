// `tern account-server <conf>`: the account server of one node.
import { runDbServer } from './db-server-main.ts'

export const run = (argv: string[]): Promise<number> => runDbServer('account', argv)
