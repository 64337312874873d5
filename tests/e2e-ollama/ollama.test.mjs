// The real `ollama` npm client (pinned in package.json) against our `foundry service`: a fresh
// FOUNDRY_HOME, a bring-your-own model in its cache (a random-weight Qwen2 with Qwen 2.5's chat
// template, so tools reach the prompt), and `tinyllama-v0` pulled from the catalog through a
// folder mirror (FOUNDRY_MODEL_MIRROR = ../shared/models/real).
//
// Environment (set by CTest, see tests/CMakeLists.txt): FOUNDRY_BIN (the built binary),
// FOUNDRY_SHARED (the reference data folder, default ../../../shared from here).

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const foundryBin = process.env.FOUNDRY_BIN || path.resolve(here, '../../build/src/foundry');
const sharedDir = process.env.FOUNDRY_SHARED || path.resolve(here, '../../../shared');
if (!fs.existsSync(foundryBin)) throw new Error(`no foundry binary at ${foundryBin} (build it, or set FOUNDRY_BIN)`);
if (!fs.existsSync(path.join(here, 'node_modules', 'ollama'))) {
  throw new Error('tests/e2e-ollama/node_modules is missing: run scripts/setup.sh (npm ci --prefix tests/e2e-ollama)');
}
const { Ollama } = await import('ollama');

const tools = [{
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Get the current weather for a city.',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
}];

let home;
let ollama;
const env = { ...process.env };
const foundry = (...args) => execFileSync(foundryBin, args, { env, encoding: 'utf8' });

before(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'foundry-e2e-ollama-'));
  // Port 0: the OS picks a free port, so parallel tests never collide.
  fs.writeFileSync(path.join(home, 'settings.json'), JSON.stringify({ serviceSettings: { host: '127.0.0.1', port: 0 } }));
  const cache = path.join(home, 'cache', 'models');
  fs.mkdirSync(cache, { recursive: true });
  fs.symlinkSync(path.join(sharedDir, 'models/synthetic/bpe-qwen2.gguf'), path.join(cache, 'qwen-tiny.gguf'));
  env.FOUNDRY_HOME = home;
  env.FOUNDRY_MODEL_MIRROR = path.join(sharedDir, 'models/real');
  const started = foundry('service', 'start');
  assert.match(started, /Service is Started on http:\/\/127\.0\.0\.1:\d+\//);
  const endpoint = JSON.parse(fs.readFileSync(path.join(home, 'service.json'), 'utf8'));
  ollama = new Ollama({ host: `http://127.0.0.1:${endpoint.port}` });
});

after(() => {
  try {
    foundry('service', 'stop');
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
});

// Collects a streamed chat: content, tool calls, every part.
async function collect(stream) {
  const parts = [];
  let content = '';
  const calls = [];
  for await (const part of stream) {
    parts.push(part);
    content += part.message.content;
    for (const c of part.message.tool_calls ?? []) calls.push(c);
  }
  return { parts, content, calls, last: parts.at(-1) };
}

test('version, list and show', async () => {
  assert.equal((await ollama.version()).version, '0.1.0');
  const { models } = await ollama.list();
  const qwen = models.find((m) => m.name === 'qwen-tiny:latest');
  assert.ok(qwen, JSON.stringify(models));
  assert.equal(qwen.details.family, 'qwen2');
  assert.equal(qwen.details.format, 'gguf');
  assert.match(qwen.digest, /^[0-9a-f]{64}$/);
  const shown = await ollama.show({ model: 'qwen-tiny' });
  assert.deepEqual(shown.capabilities, ['completion', 'tools']);
  assert.equal(shown.model_info['general.architecture'], 'qwen2');
  assert.match(shown.template, /<\|im_start\|>/);
  await assert.rejects(ollama.show({ model: 'no-such-model' }), /not found/);
});

test('pull from the catalog streams progress, then the model generates', async () => {
  const statuses = [];
  let total = 0;
  for await (const p of await ollama.pull({ model: 'tinyllama-v0', stream: true })) {
    statuses.push(p.status);
    if (p.total) total = p.total;
  }
  assert.equal(statuses[0], 'pulling manifest');
  assert.ok(statuses.includes('pulling 4856e08d5d2d'), statuses.join(','));
  assert.deepEqual(statuses.slice(-3), ['verifying sha256 digest', 'writing manifest', 'success']);
  assert.equal(total, 19248256);
  const { models } = await ollama.list();
  assert.ok(models.some((m) => m.name === 'tinyllama-v0-generic-cpu:1'), JSON.stringify(models));
  assert.equal((await ollama.pull({ model: 'tinyllama-v0', stream: false })).status, 'success');

  let text = '';
  let last;
  for await (const part of await ollama.generate({ model: 'tinyllama-v0', prompt: 'Once upon a time', stream: true,
                                                   options: { temperature: 0, num_predict: 8 } })) {
    text += part.response;
    last = part;
  }
  assert.equal(last.done, true);
  assert.ok(['stop', 'length'].includes(last.done_reason));
  assert.ok(last.eval_count > 0 && last.eval_count <= 8);
  assert.ok(Number.isInteger(last.total_duration) && last.total_duration > 0);
  assert.equal(typeof text, 'string');
});

test('chat streamed with tools, whole reply agrees, tool history goes back', async () => {
  const messages = [{ role: 'user', content: 'What is the weather in Paris?' }];
  const options = { temperature: 0, num_predict: 12 };
  const streamed = await collect(await ollama.chat({ model: 'qwen-tiny', messages, tools, stream: true, options }));
  assert.equal(streamed.last.done, true);
  assert.ok(['stop', 'length'].includes(streamed.last.done_reason));
  for (const p of streamed.parts.slice(0, -1)) assert.equal(p.done, false);
  // Every reported call carries its own index and object arguments (never all at index 0).
  streamed.calls.forEach((c, i) => {
    assert.equal(c.function.index, i);
    assert.equal(typeof c.function.arguments, 'object');
  });
  const whole = await ollama.chat({ model: 'qwen-tiny', messages, tools, stream: false, options });
  assert.equal(whole.message.role, 'assistant');
  assert.equal(whole.message.content, streamed.content);
  assert.equal(whole.done_reason, streamed.last.done_reason);
  const plain = await ollama.chat({ model: 'qwen-tiny', messages, stream: false, options: { ...options, num_predict: 1 } });
  assert.ok(whole.prompt_eval_count > plain.prompt_eval_count + 20, 'the tools are in the prompt');

  // Ollama-style history: the assistant's call with object arguments, the result by tool_name.
  const history = [...messages,
    { role: 'assistant', content: '', tool_calls: [{ function: { name: 'get_weather', arguments: { city: 'Paris' } } }] },
    { role: 'tool', content: '22 C and sunny', tool_name: 'get_weather' }];
  const followUp = await collect(await ollama.chat({ model: 'qwen-tiny', messages: history, tools, stream: true, options }));
  assert.equal(followUp.last.done, true);
  assert.ok(followUp.last.prompt_eval_count > whole.prompt_eval_count + 10);
});

test('ps, keep_alive, copy, delete and errors', async () => {
  await ollama.generate({ model: 'qwen-tiny', prompt: '', keep_alive: '10m' });
  let { models } = await ollama.ps();
  const loaded = models.find((m) => m.name === 'qwen-tiny:latest');
  assert.ok(loaded, JSON.stringify(models));
  assert.ok(Date.parse(loaded.expires_at) > Date.now());
  assert.ok(loaded.context_length > 0);
  const unloaded = await ollama.chat({ model: 'qwen-tiny', messages: [], keep_alive: 0 });
  assert.equal(unloaded.done_reason, 'unload');
  ({ models } = await ollama.ps());
  assert.ok(!models.some((m) => m.name === 'qwen-tiny:latest'));

  await ollama.copy({ source: 'qwen-tiny', destination: 'qwen-copy' });
  assert.ok((await ollama.list()).models.some((m) => m.name === 'qwen-copy:latest'));
  await ollama.delete({ model: 'qwen-copy' });
  assert.ok(!(await ollama.list()).models.some((m) => m.name === 'qwen-copy:latest'));
  await assert.rejects(ollama.delete({ model: 'qwen-copy' }), /not found/);

  await assert.rejects(ollama.embed({ model: 'qwen-tiny', input: 'hello' }), /embeddings/);
  const structured = await ollama.chat({
    model: 'qwen-tiny', messages: [{ role: 'user', content: 'Describe a city as JSON.' }], stream: false,
    format: { type: 'object', properties: { city: { type: 'string', maxLength: 12 } }, required: ['city'] },
    options: { temperature: 0, num_predict: 64 } });
  assert.equal(typeof JSON.parse(structured.message.content).city, 'string', structured.message.content);
  await assert.rejects(ollama.chat({ model: 'nope', messages: [{ role: 'user', content: 'hi' }] }), /not found/);
});
