/**
 * Creates (or, with --reset, re-passwords) an admin account for the IT staff.
 *
 *   npx tsx scripts/create-admin.ts --username hoa.nt --password-stdin < password.txt
 *   npx tsx scripts/create-admin.ts --username hoa.nt            (asks for the password)
 *   npx tsx scripts/create-admin.ts --username hoa.nt --generate (prints a random one)
 *
 * Uses the same configuration as the server (DIEMCAU_CONFIG, REDIS_URL, DATA_DIR, …). Without
 * REDIS_URL it starts the private redis-server on DATA_DIR/redis, so the server must be stopped.
 */
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import type { Redis } from 'ioredis';
import { ConfigError, loadConfig } from '../config/index.js';
import { passwordProblem, randomPassword } from '../server/auth/passwords.js';
import { DataServices } from '../server/DataServices.js';
import { createLogger } from '../server/logger.js';
import { connectRedis } from '../server/redis/connectRedis.js';
import { RedisServerProcess } from '../server/redis/RedisServerProcess.js';

function fail(message: string, code = 1): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** Reads a line from the terminal without echoing it. */
function askHidden(question: string): Promise<string> {
  return new Promise((ok) => {
    const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
    const output = rl as unknown as { _writeToOutput: (s: string) => void };
    let asked = false;
    output._writeToOutput = (s: string) => {
      if (!asked) {
        process.stdout.write(s);
        asked = true;
      }
    };
    rl.question(question, (answer) => {
      rl.close();
      process.stdout.write('\n');
      ok(answer);
    });
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      username: { type: 'string' },
      'password-stdin': { type: 'boolean', default: false },
      generate: { type: 'boolean', default: false },
      reset: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help || !values.username) {
    fail(
      'Dùng / Usage: npx tsx scripts/create-admin.ts --username <tên> [--password-stdin | --generate] [--reset]',
      values.help ? 0 : 64,
    );
  }

  let password: string;
  if (values.generate) password = randomPassword();
  else if (values['password-stdin']) password = await readStdin();
  else if (process.stdin.isTTY) {
    password = await askHidden('Mật khẩu / Password: ');
    const again = await askHidden('Nhập lại / Repeat: ');
    if (again !== password) fail('Hai lần nhập không khớp / The passwords differ');
  } else fail('Cần --password-stdin hoặc --generate / Use --password-stdin or --generate', 64);
  const problem = passwordProblem(password);
  if (problem) fail(`${problem.vi} / ${problem.en}`, 65);

  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message, 78);
    throw err;
  }
  const logger = createLogger({ logLevel: 'warn', logPretty: false });

  let redisProcess: RedisServerProcess | undefined;
  let redis: Redis | undefined;
  let data: DataServices | undefined;
  try {
    let url = config.redis.url;
    if (!url) {
      redisProcess = await RedisServerProcess.start({
        bin: config.redis.serverBin,
        dir: join(resolve(config.dataDir), 'redis'),
        logger,
      }).catch((err: Error) =>
        fail(
          `${err.message}\nDừng máy chủ diemcau trước, hoặc đặt REDIS_URL / Stop the diemcau server first, or set REDIS_URL.`,
        ),
      );
      url = redisProcess.url;
    }
    redis = await connectRedis(url, logger);
    data = await DataServices.create({
      redis,
      prefix: `${config.redis.keyPrefix}:`,
      logger,
      publicUrl: config.http.publicUrl!,
      dataDir: config.dataDir,
    });
    const { user, created } = await data.access.createUser(
      values.username,
      password,
      { kind: 'system', name: 'scripts/create-admin' },
      { reset: values.reset },
    );
    process.stdout.write(
      created
        ? `Đã tạo tài khoản / Account created: ${user.username}\n`
        : `Đã đặt lại mật khẩu / Password reset: ${user.username}\n`,
    );
    if (values.generate) process.stdout.write(`Mật khẩu / Password: ${password}\n`);
    process.stdout.write(`Đăng nhập tại / Log in at: ${config.http.publicUrl}\n`);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exitCode = 1;
  } finally {
    await data?.close();
    await redis?.quit().catch(() => redis?.disconnect());
    await redisProcess?.close();
  }
}

void main();
