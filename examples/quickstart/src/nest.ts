import { Controller, Get, Module, Param } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { PeriscopeLogger, PeriscopeModule } from '@periscope/nest';
import { createTelemetry } from '@periscope/sdk';

export const telemetry = createTelemetry({ serviceName: 'users-api' }); // or OTEL_SERVICE_NAME
@Controller('users')
class UsersController {
  @Get(':id') find(@Param('id') id: string) { return { id }; }
}
@Module({ imports: [PeriscopeModule.forRoot({ telemetry })], controllers: [UsersController] })
class AppModule {}
export const app = await NestFactory.create(AppModule, { bufferLogs: true });
app.useLogger(app.get(PeriscopeLogger)); // Nest's own logs go through Periscope's logger
await app.listen(Number(process.env.PORT ?? 3000));
