import { EmailRenderer } from '../../src/mail/renderer.js';
import { exampleModels } from '../../src/mail/examples.js';
const r = await EmailRenderer.load();
for (const m of exampleModels()) { const e = r.render(m); console.log(m.template ?? '', e.html.length, e.text.length, e.html.replace(/\s+/g, ' ').length); }
console.log(r.render(exampleModels()[0]!).html.slice(0, 3000));
