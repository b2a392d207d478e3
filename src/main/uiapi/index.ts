export { toErrorShape, UiError, type UiContext, UiRouter } from './router.ts'
export { mountUiWebSocket } from './ws.ts'
