// Grammar-enforced tool calls and structured output through the `openai` npm client against our
// `foundry` service, validated with ajv (an independent JSON Schema implementation). The models
// are random-weight ones from ../shared/models (bring-your-own files linked into a fresh cache),
// sampled at temperature 1 with several seeds: only the grammar makes their output valid.
//   bpe-qwen2   Qwen 2.5 chat template: Hermes <tool_call> markup, 151936-token byte-level BPE
//   stories260K built-in Llama 3 template: bare JSON calls, 512-token SentencePiece vocabulary

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import Ajv from 'ajv';
import OpenAI from 'openai';

import { freshFoundryHome, modelsDir, sharedDir } from './harness.mjs';

const MODELS = {
  'bpe-qwen2': path.join(sharedDir, 'models/synthetic/bpe-qwen2.gguf'),
  stories260K: path.join(modelsDir, 'stories260K.gguf'),
};

const TOOLS = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Get the current weather for a city.',
      parameters: {
        type: 'object',
        properties: {
          location: { type: 'string', maxLength: 24 },
          unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
        },
        required: ['location', 'unit'],
        additionalProperties: false,
      },
    },
  },
  {
    type: 'function',
    function: {
      name: 'book_table',
      description: 'Book a restaurant table.',
      parameters: {
        type: 'object',
        properties: {
          restaurant: { type: 'string', minLength: 1, maxLength: 20 },
          people: { type: 'integer', minimum: 1, maximum: 12 },
          time: { type: 'object', properties: { hour: { type: 'integer', minimum: 0, maximum: 23 } }, required: ['hour'] },
          vegetarian: { type: 'boolean' },
        },
        required: ['restaurant', 'people', 'time'],
      },
    },
  },
];

const ANSWER_SCHEMA = {
  type: 'object',
  properties: {
    city: { type: 'string', maxLength: 20 },
    temperature: { type: 'number', minimum: -50, maximum: 60 },
    conditions: { type: 'array', items: { enum: ['sunny', 'cloudy', 'rain'] }, maxItems: 3 },
    advice: { type: ['string', 'null'], maxLength: 30 },
  },
  required: ['city', 'temperature', 'conditions'],
  additionalProperties: false,
};

const ajv = new Ajv({ strict: false });
const validators = Object.fromEntries(TOOLS.map((t) => [t.function.name, ajv.compile(t.function.parameters)]));

let env;
let client;

before(() => {
  env = freshFoundryHome(modelsDir);
  fs.mkdirSync(env.cacheDir, { recursive: true });
  // Bring-your-own models: links into the cache, never copies of the reference data.
  for (const [id, file] of Object.entries(MODELS)) fs.symlinkSync(file, path.join(env.cacheDir, `${id}.gguf`));
  env.foundry('service', 'start');
  const url = env.foundry('service', 'status').match(/(http:\/\/[^\s/]+)\/openai\/status/)[1];
  client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused' });
});

after(() => env?.cleanup());

function request(model, seed, extra) {
  return {
    model,
    messages: [{ role: 'user', content: 'What is the weather in Paris, and book me a table for two at 8pm.' }],
    temperature: 1,
    seed,
    max_tokens: 160,
    ...extra,
  };
}

// Each call names an offered tool and its arguments (a JSON string) validate with ajv.
function checkCalls(calls, names = TOOLS.map((t) => t.function.name)) {
  assert.ok(Array.isArray(calls) && calls.length >= 1, JSON.stringify(calls));
  for (const call of calls) {
    assert.equal(call.type, 'function');
    assert.match(call.id, /^call_[A-Za-z0-9]{24}$/);
    assert.ok(names.includes(call.function.name), call.function.name);
    const args = JSON.parse(call.function.arguments);
    const validate = validators[call.function.name];
    assert.ok(validate(args), `${call.function.arguments}: ${ajv.errorsText(validate.errors)}`);
  }
}

// A stream's tool-call deltas put back together by index, as OpenAI's clients do.
async function collect(stream) {
  const calls = [];
  let content = '';
  let finish = null;
  for await (const chunk of stream) {
    const choice = chunk.choices[0];
    if (!choice) continue;
    finish = choice.finish_reason ?? finish;
    content += choice.delta?.content ?? '';
    for (const d of choice.delta?.tool_calls ?? []) {
      if (d.id !== undefined) {
        assert.equal(calls[d.index], undefined, `second opening delta for index ${d.index}`);
        calls[d.index] = { id: d.id, type: d.type, function: { name: d.function.name, arguments: '' } };
      }
      calls[d.index].function.arguments += d.function?.arguments ?? '';
    }
  }
  return { calls, content, finish };
}

for (const model of Object.keys(MODELS)) {
  test(`${model}: tool_choice "required" returns calls whose arguments validate, streamed and not`, async () => {
    for (const seed of [1, 2, 3]) {
      const body = request(model, seed, { tools: TOOLS, tool_choice: 'required' });
      const whole = await client.chat.completions.create(body);
      const choice = whole.choices[0];
      assert.equal(choice.finish_reason, 'tool_calls', JSON.stringify(whole));
      assert.equal(choice.message.content, null);
      checkCalls(choice.message.tool_calls);

      // Same seed, streamed: the deltas reassemble to the same calls (ids are per response).
      const streamed = await collect(await client.chat.completions.create({ ...body, stream: true }));
      assert.equal(streamed.finish, 'tool_calls');
      assert.equal(streamed.content, '');
      checkCalls(streamed.calls);
      assert.deepEqual(streamed.calls.map((c) => c.function), choice.message.tool_calls.map((c) => c.function));
    }
  });
}

test('a named tool_choice calls that function, once', async () => {
  for (const seed of [4, 5]) {
    const whole = await client.chat.completions.create(
      request('bpe-qwen2', seed, { tools: TOOLS, tool_choice: { type: 'function', function: { name: 'book_table' } } }),
    );
    const calls = whole.choices[0].message.tool_calls;
    assert.equal(calls.length, 1, JSON.stringify(calls));
    checkCalls(calls, ['book_table']);
    assert.equal(whole.choices[0].finish_reason, 'tool_calls');
  }
});

test('parallel_tool_calls: false gives exactly one call', async () => {
  const whole = await client.chat.completions.create(
    request('bpe-qwen2', 6, { tools: TOOLS, tool_choice: 'required', parallel_tool_calls: false }),
  );
  assert.equal(whole.choices[0].message.tool_calls.length, 1);
  checkCalls(whole.choices[0].message.tool_calls);
});

test('response_format json_schema output validates, streamed and not', async () => {
  const validate = ajv.compile(ANSWER_SCHEMA);
  const response_format = { type: 'json_schema', json_schema: { name: 'weather_answer', strict: true, schema: ANSWER_SCHEMA } };
  for (const model of Object.keys(MODELS)) {
    for (const seed of [1, 2]) {
      const body = request(model, seed, { response_format });
      const whole = await client.chat.completions.create(body);
      const text = whole.choices[0].message.content;
      assert.equal(whole.choices[0].finish_reason, 'stop', text);
      const value = JSON.parse(text);
      assert.ok(validate(value), `${text}: ${ajv.errorsText(validate.errors)}`);
      assert.equal(Object.keys(value)[0], 'city'); // schema property order
      const streamed = await collect(await client.chat.completions.create({ ...body, stream: true }));
      assert.equal(streamed.content, text);
      assert.equal(streamed.finish, 'stop');
    }
  }
});

test('response_format json_object gives an object; a refused schema is a 400 naming response_format', async () => {
  const whole = await client.chat.completions.create(request('bpe-qwen2', 7, { response_format: { type: 'json_object' }, max_tokens: 64 }));
  const value = JSON.parse(whole.choices[0].message.content);
  assert.equal(typeof value, 'object');
  assert.ok(value !== null && !Array.isArray(value));

  const bad = { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'string', pattern: '^a+$' } } };
  await assert.rejects(client.chat.completions.create(request('bpe-qwen2', 1, { response_format: bad })), (err) => {
    assert.equal(err.status, 400);
    assert.equal(err.param, 'response_format');
    assert.match(err.message, /pattern/);
    return true;
  });
});

test('a tools round trip: the call, then the tool result sent back (role: tool)', async () => {
  for (const model of Object.keys(MODELS)) {
    // stories260K's 512-token vocabulary spends ~4x the tokens on the Llama 3 tool preamble:
    // one tool keeps the second turn inside its 2048-token context.
    const tools = model === 'stories260K' ? TOOLS.slice(0, 1) : TOOLS;
    const body = request(model, 8, { tools, tool_choice: 'required', parallel_tool_calls: false });
    const first = await client.chat.completions.create(body);
    const message = first.choices[0].message;
    checkCalls(message.tool_calls);
    const call = message.tool_calls[0];
    const second = await client.chat.completions.create({
      ...body,
      tool_choice: 'auto',
      max_tokens: 16,
      messages: [
        ...body.messages,
        message,
        { role: 'tool', tool_call_id: call.id, content: JSON.stringify({ ok: true, result: '18C and sunny' }) },
      ],
    });
    assert.equal(second.object, 'chat.completion');
    assert.ok(['stop', 'length', 'tool_calls'].includes(second.choices[0].finish_reason));
    assert.ok(second.usage.prompt_tokens > first.usage.prompt_tokens, JSON.stringify([first.usage, second.usage]));
  }
});
