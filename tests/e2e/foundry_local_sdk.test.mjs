// Microsoft's foundry-local-sdk (0.3.1 and 0.5.0, from npm, unchanged) and the `openai` npm
// client against our `foundry` binary: the SDK finds `foundry` on PATH, starts the service
// with `foundry service start`, parses `foundry service status`, downloads through
// POST /openai/download from a mirror of ../shared/models/real, loads, and chats.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import OpenAI from 'openai';

import { freshFoundryHome, modelsDir, startHttpMirror } from './harness.mjs';

const ALIAS = 'tinyllama-v0';
const MODEL_ID = 'tinyllama-v0-generic-cpu:1';

// The two SDK generations differ in their signatures (0.5 added `device` parameters).
const SDKS = {
  '0.3.1': {
    module: 'fl-sdk-031',
    executionProvider: (info) => info.runtime,
    download: (m, alias, force, onProgress) => m.downloadModel(alias, undefined, force, onProgress),
    load: (m, alias) => m.loadModel(alias, 600),
    unload: (m, alias, force) => m.unloadModel(alias, force),
  },
  '0.5.0': {
    module: 'fl-sdk-050',
    executionProvider: (info) => info.executionProvider,
    download: (m, alias, force, onProgress) => m.downloadModel(alias, undefined, undefined, force, onProgress),
    load: (m, alias) => m.loadModel(alias, undefined, 600),
    unload: (m, alias, force) => m.unloadModel(alias, undefined, force),
  },
};

const ids = (models) => models.map((m) => m.id);

// Chat through the openai client, whole and streamed; greedy, so both give the same text.
async function chat(manager) {
  const client = new OpenAI({ baseURL: manager.endpoint, apiKey: manager.apiKey });
  const request = {
    model: MODEL_ID,
    messages: [{ role: 'user', content: 'Tell me a story about a cat.' }],
    max_tokens: 24,
    temperature: 0,
  };
  const whole = await client.chat.completions.create(request);
  assert.equal(whole.object, 'chat.completion');
  assert.equal(whole.model, MODEL_ID);
  const text = whole.choices[0].message.content;
  assert.equal(whole.choices[0].message.role, 'assistant');
  assert.equal(typeof text, 'string');
  assert.ok(whole.usage.completion_tokens > 0, JSON.stringify(whole.usage));
  assert.ok(['stop', 'length'].includes(whole.choices[0].finish_reason));

  const stream = await client.chat.completions.create({ ...request, stream: true });
  let streamed = '';
  let finish = null;
  let chunks = 0;
  for await (const chunk of stream) {
    assert.equal(chunk.object, 'chat.completion.chunk');
    streamed += chunk.choices[0]?.delta?.content ?? '';
    finish = chunk.choices[0]?.finish_reason ?? finish;
    chunks++;
  }
  assert.ok(chunks >= 2);
  assert.equal(streamed, text);
  assert.equal(finish, whole.choices[0].finish_reason);
}

async function checkUnload(api, manager) {
  assert.deepEqual(ids(await manager.listLoadedModels()), [MODEL_ID]);
  // Foundry semantics: without force the model keeps its TTL and stays; force unloads.
  await api.unload(manager, ALIAS, false);
  assert.deepEqual(ids(await manager.listLoadedModels()), [MODEL_ID]);
  await api.unload(manager, ALIAS, true);
  assert.deepEqual(ids(await manager.listLoadedModels()), []);
}

for (const [version, api] of Object.entries(SDKS)) {
  test(`foundry-local-sdk ${version}: init(alias) starts the service, downloads from a folder mirror, loads; openai chats`, async () => {
    const { FoundryLocalManager } = await import(api.module);
    const env = freshFoundryHome(modelsDir);
    try {
      const manager = new FoundryLocalManager();
      assert.equal(await manager.isServiceRunning(), false);
      const info = await manager.init(ALIAS);
      assert.equal(info.id, MODEL_ID);
      assert.equal(info.alias, ALIAS);
      assert.match(manager.serviceUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(manager.endpoint, `${manager.serviceUrl}/v1`);
      assert.equal(await manager.isServiceRunning(), true);

      const catalog = await manager.listCatalogModels();
      const tiny = catalog.find((m) => m.id === MODEL_ID);
      assert.ok(tiny, ids(catalog).join(', '));
      assert.equal(tiny.alias, ALIAS);
      assert.equal(api.executionProvider(tiny), 'CPUExecutionProvider');
      assert.equal(tiny.version, '1');
      assert.equal(tiny.publisher, 'Maykeye');
      assert.equal(tiny.task, 'text-generation');
      assert.equal(typeof tiny.modelSize, 'number');

      assert.deepEqual(ids(await manager.listCachedModels()), [MODEL_ID]);
      assert.equal(await manager.getCacheLocation(), env.cacheDir);
      await chat(manager);
      await checkUnload(api, manager);
      if (version === '0.5.0') {
        assert.equal(await manager.isModelUpgradeable(ALIAS), false);
        assert.equal((await manager.upgradeModel(ALIAS)).id, MODEL_ID);
      }
    } finally {
      env.cleanup();
    }
  });

  test(`foundry-local-sdk ${version}: downloadModel from an HTTP mirror reports progress; uncached models refuse to load`, async () => {
    const { FoundryLocalManager } = await import(api.module);
    const mirror = await startHttpMirror(modelsDir);
    const env = freshFoundryHome(mirror.url);
    try {
      const manager = new FoundryLocalManager();
      await manager.startService();
      assert.deepEqual(await manager.listCachedModels(), []);
      assert.deepEqual(await manager.listLoadedModels(), []);
      await assert.rejects(api.load(manager, ALIAS), /Model tinyllama-v0 has not been downloaded yet/);

      const progress = [];
      const info = await api.download(manager, ALIAS, false, (p) => progress.push(p));
      assert.equal(info.id, MODEL_ID);
      assert.ok(progress.length >= 1);
      assert.equal(progress.at(-1), 100);
      for (let i = 1; i < progress.length; i++) assert.ok(progress[i] > progress[i - 1], progress.join(','));
      assert.deepEqual(ids(await manager.listCachedModels()), [MODEL_ID]);

      // force: the SDK posts again; the service reports the cached file as complete.
      const again = [];
      await api.download(manager, ALIAS, true, (p) => again.push(p));
      assert.deepEqual(again, [100]);

      // A model the mirror does not have: the SDK surfaces the service's error.
      await assert.rejects(api.download(manager, 'qwen2.5-0.5b', false), /Failed to download model with alias 'qwen2.5-0.5b'.*qwen2.5-0.5b-instruct-q4_k_m.gguf/);

      const loaded = await api.load(manager, ALIAS);
      assert.equal(loaded.id, MODEL_ID);
      await chat(manager);
      await checkUnload(api, manager);
    } finally {
      env.cleanup();
      await mirror.close();
    }
  });
}
