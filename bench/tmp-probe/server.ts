import { SMTPServer } from 'smtp-server';
let n = 0;
const server = new SMTPServer({ authOptional: true, disabledCommands: ['STARTTLS'], logger: false, hideSTARTTLS: true,
  onData(stream, _s, cb) { stream.resume(); stream.on('end', () => { n++; cb(); }); } });
server.listen(2599, '127.0.0.1', () => console.log('ready'));
