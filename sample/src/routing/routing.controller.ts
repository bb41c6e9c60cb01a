import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  NotFoundException,
  Param,
  Post,
  Put,
  Query,
  ServiceUnavailableException,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { NO_POD, StatefulExecutorService } from 'nestjs-stateful-redis';
import { ApiErrorResponse } from '../common/api-error.response';
import { BatchGetLinksDto } from './batch-get-links.dto';
import { GetLinkQuery } from './get-link.query';
import { LinkResponse, RemoveLinkResponse } from './link.response';
import { RemoveLinkQuery } from './remove-link.query';
import { RouteUserDto } from './route-user.dto';
import { SetLinkDto } from './set-link.dto';

/** Which pod serves which user: place new users, read, set and remove links. */
@ApiTags('routing')
@ApiBadRequestResponse({ type: ApiErrorResponse })
@ApiServiceUnavailableResponse({
  type: ApiErrorResponse,
  description: 'Redis unreachable or too slow, or no routable pod',
})
@Controller('namespaces/:ns')
export class RoutingController {
  constructor(private readonly directory: StatefulExecutorService) {}

  @Post('services/:svc/route/:uid')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: "The user's pod: the live link, or the least-loaded routable pod, linked now (computeLinkedPodIfAbsent)",
  })
  @ApiOkResponse({ type: LinkResponse })
  async route(
    @Param('ns') ns: string,
    @Param('svc') svc: string,
    @Param('uid') uid: string,
    @Body() body: RouteUserDto,
  ): Promise<LinkResponse> {
    const podId = await this.directory.computeLinkedPodIfAbsent(ns, uid, svc, body.persistSeconds, {
      states: body.states,
    });
    if (podId === NO_POD) {
      throw new ServiceUnavailableException({
        statusCode: 503,
        code: 'NO_ROUTABLE_POD',
        message: `No pod of ${svc} is in a routable state`,
      });
    }
    return { uid, podId };
  }

  @Get('services/:svc/links/:uid')
  @ApiOperation({ summary: 'The pod the uid is linked to (getLinkedPod; persistent=true: getLinkedPodIfPersist)' })
  @ApiOkResponse({ type: LinkResponse })
  @ApiNotFoundResponse({ type: ApiErrorResponse })
  async getLink(
    @Param('ns') ns: string,
    @Param('svc') svc: string,
    @Param('uid') uid: string,
    @Query() query: GetLinkQuery,
  ): Promise<LinkResponse> {
    const podId = query.persistent
      ? await this.directory.getLinkedPodIfPersist(ns, uid, svc)
      : await this.directory.getLinkedPod(ns, uid, svc);
    if (podId === NO_POD) {
      throw new NotFoundException({
        statusCode: 404,
        code: 'NOT_LINKED',
        message: `${uid} has no ${query.persistent ? 'persistent ' : ''}link to ${svc}`,
      });
    }
    return { uid, podId };
  }

  @Put('services/:svc/links/:uid')
  @ApiOperation({
    summary:
      'Link the uid to a pod: mode set (setLinkedPod), try (trySetLinkedPod) or if-absent (setLinkedPodIfAbsent)',
  })
  @ApiOkResponse({ type: LinkResponse })
  async setLink(
    @Param('ns') ns: string,
    @Param('svc') svc: string,
    @Param('uid') uid: string,
    @Body() link: SetLinkDto,
  ): Promise<LinkResponse> {
    switch (link.mode) {
      case 'try': {
        const { success, podId } = await this.directory.trySetLinkedPod(ns, uid, svc, link.podId, link.persistSeconds);
        return { uid, podId, success };
      }
      case 'if-absent':
        return { uid, podId: await this.directory.setLinkedPodIfAbsent(ns, uid, svc, link.podId, link.persistSeconds) };
      default: {
        const previousPodId = await this.directory.setLinkedPod(ns, uid, svc, link.podId, link.persistSeconds);
        return { uid, podId: link.podId, previousPodId };
      }
    }
  }

  @Delete('services/:svc/links/:uid')
  @ApiOperation({
    summary:
      'Remove the link now or after lingerSeconds (removeLinkedPod); with podId only if it points there (removeLinkedPodWithId)',
  })
  @ApiOkResponse({ type: RemoveLinkResponse })
  async removeLink(
    @Param('ns') ns: string,
    @Param('svc') svc: string,
    @Param('uid') uid: string,
    @Query() query: RemoveLinkQuery,
  ): Promise<RemoveLinkResponse> {
    const removed =
      query.podId === undefined
        ? await this.directory.removeLinkedPod(ns, uid, svc, query.lingerSeconds)
        : await this.directory.removeLinkedPodWithId(ns, uid, svc, query.lingerSeconds, query.podId);
    return { uid, removed };
  }

  // `\\:` is a literal colon in the route (Google API style custom method), not a parameter.
  @Post('services/:svc/links\\:batchGet')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Live links of many uids grouped by pod (batchGetLinkedPod); uids without a link are left out',
  })
  @ApiOkResponse({
    schema: {
      type: 'object',
      additionalProperties: { type: 'array', items: { type: 'string' } },
      example: { 0: ['alice'], 2: ['bob', 'carol'] },
    },
  })
  batchGetLinks(
    @Param('ns') ns: string,
    @Param('svc') svc: string,
    @Body() { uids }: BatchGetLinksDto,
  ): Promise<Record<number, string[]>> {
    return this.directory.batchGetLinkedPod(ns, uids, svc);
  }

  @Get('uids/:uid/links')
  @ApiOperation({ summary: 'Every service the uid is linked with, and the pod (getLinkService)' })
  @ApiOkResponse({
    schema: { type: 'object', additionalProperties: { type: 'integer' }, example: { game: 1, chat: 0 } },
  })
  getUserLinks(@Param('ns') ns: string, @Param('uid') uid: string): Promise<Record<string, number>> {
    return this.directory.getLinkService(ns, uid);
  }
}
