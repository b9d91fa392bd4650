import net from 'node:net';
let writes = 0, bytes = 0;
const orig = net.Socket.prototype.write;
(net.Socket.prototype as any).write = function (this: net.Socket, chunk: any, ...rest: any[]) { writes++; bytes += chunk.length; return (orig as any).call(this, chunk, ...rest); };
process.on('exit', () => console.log('writes', writes, 'bytes', bytes));
