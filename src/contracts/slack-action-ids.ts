/**
 * The action_ids of the buttons Vigil's Slack messages carry (activities/slack-blocks.ts renders them) and chatops
 * maps back to decisions, verdicts and user answers (src/chatops/slack-routes.ts). Messages already posted keep
 * their ids: never change one.
 */
export const slackActionIds = {
  approve: 'vigil_approve',
  deny: 'vigil_deny',
  falsePositive: 'vigil_false_positive',
  userConfirmed: 'vigil_user_confirmed',
  userNotMe: 'vigil_user_not_me',
} as const;
