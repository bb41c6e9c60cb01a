import { OmitType, PartialType } from '@nestjs/swagger';
import { AddTaskDto } from './add-task.dto';

/** `PATCH /scheduler/tasks/:id`: any option but the id; a new `cron`/`timeZone` recomputes the next fire. */
export class UpdateTaskDto extends PartialType(OmitType(AddTaskDto, ['id'] as const)) {}
