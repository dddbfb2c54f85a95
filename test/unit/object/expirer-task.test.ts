// The expirer's queue row names: `<delete_at>-<account>/<container>/<object>` (Swift's
// expirer splits once on '-' and then the path into three, the object keeping its slashes).
import t from 'tap'
import { parseTaskName } from '../../../object/expirer.ts'

t.same(parseTaskName('1700000000-AUTH_test/c/o'), { deleteAt: '1700000000', account: 'AUTH_test', container: 'c', obj: 'o' })
t.same(parseTaskName('0001700000-AUTH_a-b/my-c/dir/sub/obj-1'), { deleteAt: '0001700000', account: 'AUTH_a-b', container: 'my-c', obj: 'dir/sub/obj-1' })
t.equal(parseTaskName('1700000000-AUTH_test/c'), undefined, 'no object')
t.equal(parseTaskName('soon-AUTH_test/c/o'), undefined, 'no timestamp')
t.equal(parseTaskName('1700000000-AUTH_test//o'), undefined, 'empty container')
