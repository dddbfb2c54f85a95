// Usage text of every ring-builder command (the commands and their arguments are
// swift-ring-builder's; `ring-builder --help` prints all of it).
import { SEARCH_VALUE_HELP } from './device-parse.ts'

const SEARCH_OPTIONS = `    --region <region> --zone <zone> --ip <ip or hostname> --port <port>
    --replication-ip <r_ip or r_hostname> --replication-port <r_port>
    --device <device_name> --meta <meta> --weight <weight>`

export const COMMAND_HELP: Record<string, string> = {
  default: `ring-builder <builder_file> [show]
    Shows information about the ring and the devices within: partitions,
    replicas, regions, zones, devices, balance, dispersion, min_part_hours,
    overload, whether the ring file is up to date, and a table of devices
    (id, region, zone, addresses, name, weight, partitions, balance, flags,
    meta). flags: DEL marks a device removed at the next rebalance.`,
  create: `ring-builder <builder_file> create <part_power> <replicas> <min_part_hours>
    Creates <builder_file> with 2^<part_power> partitions (part_power 1..24)
    and <replicas> replicas (at least 1, may be fractional).
    <min_part_hours> is the number of hours to restrict moving a partition
    more than once.`,
  add: `ring-builder <builder_file> add
    [r<region>]z<zone>-<ip>:<port>[R<r_ip>:<r_port>]/<device_name>_<meta>
     <weight>
    [[r<region>]z<zone>-<ip>:<port>[R<r_ip>:<r_port>]/<device_name>_<meta>
     <weight>] ...

    Where <r_ip> and <r_port> are replication ip and port.

or

ring-builder <builder_file> add
    --region <region> --zone <zone> --ip <ip or hostname> --port <port>
    [--replication-ip <r_ip or r_hostname>] [--replication-port <r_port>]
    --device <device_name> --weight <weight>
    [--meta <meta>]

    Adds devices to the ring. No partitions are assigned to a new device until
    'rebalance' runs, so several changes can be made and rebalanced at once.`,
  search: `ring-builder <builder_file> search <search-value>

or

ring-builder <builder_file> search
${SEARCH_OPTIONS}

    Shows information about matching devices.`,
  list_parts: `ring-builder <builder_file> list_parts <search-value> [<search-value>] ..

or

ring-builder <builder_file> list_parts
${SEARCH_OPTIONS}

    Lists the partitions assigned to any matching device, with the number of
    matching devices holding each, most matches first.`,
  set_weight: `ring-builder <builder_file> set_weight <search-value> <new_weight>
    [<search-value> <new_weight>] ... [--yes]

or

ring-builder <builder_file> set_weight
${SEARCH_OPTIONS} <new_weight> [--yes]

    Resets the devices' weights; partitions move at the next 'rebalance'.
    --yes answers yes when a search matches more than one device.`,
  set_region: `ring-builder <builder_file> set_region <search-value> <region>
    [<search-value> <region>] ... [--yes]

    Resets the devices' regions; partitions move at the next 'rebalance'.`,
  set_zone: `ring-builder <builder_file> set_zone <search-value> <zone>
    [<search-value> <zone>] ... [--yes]

    Resets the devices' zones; partitions move at the next 'rebalance'.`,
  set_info: `ring-builder <builder_file> set_info
    <search-value> <ip>:<port>[R<r_ip>:<r_port>]/<device_name>_<meta>
    [<search-value> <ip>:<port>[R<r_ip>:<r_port>]/<device_name>_<meta>] ...
    [--yes]

or

ring-builder <builder_file> set_info
    --ip <ip or hostname> --port <port> --device <device_name> --meta <meta>
    --change-ip <ip or hostname> --change-port <port>
    --change-replication-ip <r_ip or r_hostname>
    --change-replication-port <r_port>
    --change-device <device_name> --change-meta <meta> [--yes]

    Changes the matched devices' addresses, name or meta. These do not affect
    placement, so 'write_ring' can publish them without a rebalance. Any part
    of the change value may be left out: set_info d74 _"snet: 5.6.7.8" only
    changes device 74's meta.`,
  remove: `ring-builder <builder_file> remove <search-value> [search-value ...] [--yes]

or

ring-builder <builder_file> remove
${SEARCH_OPTIONS} [--yes]

    Marks devices for removal; the next 'rebalance' moves all their
    partitions away and deletes them. For a device being retired rather than
    failed, set its weight to 0 and let it drain first.`,
  rebalance: `ring-builder <builder_file> rebalance [--force] [--seed <seed>] [<seed>]
    Reassigns partitions that have not been moved within min_part_hours to
    even out the ring, then writes the ring file (and backups of both).
    --force saves even if balance and dispersion changed by less than 1%.
    --seed makes the result reproducible.`,
  dispersion: `ring-builder <builder_file> dispersion [<search_filter>] [--verbose] [--recalculate]
    Reports dispersion: the share of part-replicas in a tier holding more
    replicas of their partition than an even spread allows.
    --verbose shows every tier (filter with a regex on tier names such as
    "r\\d+z\\d+$" for zones); --recalculate saves the recomputed figure.`,
  validate: `ring-builder <builder_file> validate
    Runs the ring's consistency checks.`,
  write_ring: `ring-builder <builder_file> write_ring
    Rewrites the ring file from the builder (done by 'rebalance' already;
    useful after 'set_info'). The previous ring is kept in backups/.`,
  pretend_min_part_hours_passed: `ring-builder <builder_file> pretend_min_part_hours_passed
    Lets the next rebalance move any partition, as if min_part_hours had
    passed. Use with great caution: deploying rings before replication has
    caught up can make data unavailable.`,
  set_min_part_hours: `ring-builder <builder_file> set_min_part_hours <hours>
    Changes min_part_hours to <hours>; set it to how long a full replication
    pass takes.`,
  set_replicas: `ring-builder <builder_file> set_replicas <replicas>
    Changes the replica count (at least 1; fractional values give some
    partitions one replica more than others). Takes effect at the next
    rebalance.`,
  set_overload: `ring-builder <builder_file> set_overload <overload>[%]
    Changes the overload factor: how far past its weight a device may be
    filled to keep replicas in distinct failure domains. Takes effect at the
    next rebalance.`,
}

export function fullHelp(): string {
  const names = Object.keys(COMMAND_HELP).filter((c) => c !== 'default').sort()
  return [
    'ring-builder (Tern) — builds Swift-compatible rings; commands as swift-ring-builder 1.3',
    '',
    COMMAND_HELP.default,
    '',
    ...names.flatMap((n) => [COMMAND_HELP[n] as string, '']),
    SEARCH_VALUE_HELP,
    '',
    `Quick list: ${names.join(' ')}`,
    'Exit codes: 0 = operation successful',
    '            1 = operation completed with warnings',
    '            2 = error',
  ].join('\n')
}
