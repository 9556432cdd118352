/**
 * The one door to the Bot Framework SDK. `botbuilder` is archived; its successor
 * (`@microsoft/agents-hosting`) keeps nearly the same names, so a port changes this file and the
 * few places that construct the adapter, not the whole edge.
 */
export {
  ActivityTypes,
  CardFactory,
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  ConfigurationServiceClientCredentialFactory,
  TeamsActivityHandler,
  TurnContext,
} from 'botbuilder';
// botbuilder's own auth package (the version botbuilder pins): the credential factories per identity type.
export {
  ManagedIdentityServiceClientCredentialsFactory,
  PasswordServiceClientCredentialFactory,
  type AuthenticateRequestResult,
  type ServiceClientCredentialsFactory,
} from 'botframework-connector';
export type {
  Activity,
  AdaptiveCardInvokeResponse,
  AdaptiveCardInvokeValue,
  ConfigurationBotFrameworkAuthenticationOptions,
  ConversationReference,
  InvokeResponse,
  Middleware,
} from 'botbuilder';
