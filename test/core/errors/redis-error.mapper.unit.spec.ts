import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, StatefulError } from '../../../lib';
import { classifyRedisError, isNoScriptError, toStatefulError } from '../../../lib/core/errors/redis-error.mapper';

const replyError = (message: string) => Object.assign(new Error(message), { name: 'ReplyError' });

describe('Redis error mapping', () => {
  it('classifies ioredis failures', () => {
    assert.equal(classifyRedisError(new Error('Command timed out')), ErrorCode.TIMEOUT);
    assert.equal(
      classifyRedisError(Object.assign(new Error('x'), { name: 'MaxRetriesPerRequestError' })),
      ErrorCode.REDIS_CONNECTION_ERROR,
    );
    assert.equal(
      classifyRedisError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })),
      ErrorCode.REDIS_CONNECTION_ERROR,
    );
    assert.equal(classifyRedisError(new Error('Connection is closed.')), ErrorCode.REDIS_CONNECTION_ERROR);
    assert.equal(
      classifyRedisError(replyError('ERR user_script:3: Script attempted to access nonexistent global')),
      ErrorCode.LUA_SCRIPT_ERROR,
    );
    assert.equal(
      classifyRedisError(replyError('NOPERM this user has no permissions')),
      ErrorCode.REDIS_OPERATION_ERROR,
    );
    assert.equal(classifyRedisError(new StatefulError(ErrorCode.TIMEOUT, 'x')), ErrorCode.TIMEOUT);
  });

  it('classifies credentials refused on a reconnect as a connection failure: Redis cannot be used', () => {
    const refused = [
      'WRONGPASS invalid username-password pair or user is disabled.',
      'NOAUTH Authentication required.',
    ];
    for (const reply of refused)
      assert.equal(classifyRedisError(replyError(reply)), ErrorCode.REDIS_CONNECTION_ERROR, reply);
  });

  it('classifies what a slot migration gives as CLUSTER_RESHARDING', () => {
    const replies = [
      'ERR Script attempted to access a non local key in a cluster node script: d729a27d5449f5c51a1639cb0d508e861f2c63a9, on @user_script:20.',
      'Too many Cluster redirections. Last error: ReplyError: TRYAGAIN Multiple keys request during rehashing of slot',
      'Too many Cluster redirections. Last error: ReplyError: ASK 9844 127.0.0.1:38687',
      'Too many Cluster redirections. Last error: ReplyError: MOVED 9844 127.0.0.1:38687',
    ];
    for (const reply of replies)
      assert.equal(classifyRedisError(replyError(reply)), ErrorCode.CLUSTER_RESHARDING, reply);
    assert.equal(
      classifyRedisError(replyError('ERR user_script:1: Script attempted to access nonexistent global')),
      ErrorCode.LUA_SCRIPT_ERROR,
    );
  });

  it('recognises NOSCRIPT', () => {
    assert.equal(isNoScriptError(replyError('NOSCRIPT No matching script. Please use EVAL.')), true);
    assert.equal(isNoScriptError(replyError('ERR other')), false);
    assert.equal(isNoScriptError(undefined), false);
  });

  it('wraps with the operation and inputs, keeping the cause, and passes StatefulErrors through', () => {
    const cause = replyError("READONLY You can't write against a read only replica.");
    const error = toStatefulError(cause, 'setLinkedPod', 'uid="u"');
    assert.equal(error.code, ErrorCode.REDIS_OPERATION_ERROR);
    assert.equal(error.operation, 'setLinkedPod');
    assert.equal(error.cause, cause);
    assert.match(error.message, /^setLinkedPod\(uid="u"\) failed: READONLY/);
    const original = new StatefulError(ErrorCode.TIMEOUT, 'x');
    assert.equal(toStatefulError(original, 'op', ''), original);
  });
});
