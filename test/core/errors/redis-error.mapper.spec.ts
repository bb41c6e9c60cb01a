import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, StatefulError } from '../../../lib';
import { classifyRedisError, isNoScriptError, toStatefulError } from '../../../lib/core/errors/redis-error.mapper';

const replyError = (message: string) => Object.assign(new Error(message), { name: 'ReplyError' });

describe('Redis error mapping', () => {
  it('classifies ioredis failures', () => {
    assert.equal(classifyRedisError(new Error('Command timed out')), ErrorCode.TIMEOUT);
    assert.equal(classifyRedisError(Object.assign(new Error('x'), { name: 'MaxRetriesPerRequestError' })), ErrorCode.REDIS_CONNECTION_ERROR);
    assert.equal(classifyRedisError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })), ErrorCode.REDIS_CONNECTION_ERROR);
    assert.equal(classifyRedisError(new Error('Connection is closed.')), ErrorCode.REDIS_CONNECTION_ERROR);
    assert.equal(classifyRedisError(replyError('ERR user_script:3: Script attempted to access nonexistent global')), ErrorCode.LUA_SCRIPT_ERROR);
    assert.equal(classifyRedisError(replyError('NOPERM this user has no permissions')), ErrorCode.REDIS_OPERATION_ERROR);
    assert.equal(classifyRedisError(new StatefulError(ErrorCode.TIMEOUT, 'x')), ErrorCode.TIMEOUT);
  });

  it('recognises NOSCRIPT', () => {
    assert.equal(isNoScriptError(replyError('NOSCRIPT No matching script. Please use EVAL.')), true);
    assert.equal(isNoScriptError(replyError('ERR other')), false);
    assert.equal(isNoScriptError(undefined), false);
  });

  it('wraps with the operation and inputs, keeping the cause, and passes StatefulErrors through', () => {
    const cause = replyError('READONLY You can\'t write against a read only replica.');
    const error = toStatefulError(cause, 'setLinkedPod', 'uid="u"');
    assert.equal(error.code, ErrorCode.REDIS_OPERATION_ERROR);
    assert.equal(error.operation, 'setLinkedPod');
    assert.equal(error.cause, cause);
    assert.match(error.message, /^setLinkedPod\(uid="u"\) failed: READONLY/);
    const original = new StatefulError(ErrorCode.TIMEOUT, 'x');
    assert.equal(toStatefulError(original, 'op', ''), original);
  });
});
